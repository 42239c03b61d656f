import Foundation
import XCTest

/// `nnserve` as a process: where the token comes from, what it refuses at start-up, and how
/// it stops.
final class ProcessHygieneTests: XCTestCase {
    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nnserve-hygiene-\(UUID().uuidString)")
    }

    /// Runs `nnserve` expecting it to refuse to start; returns its exit status and output.
    private func startUpFailure(
        environment: [String: String] = [:], arguments: [String]
    ) throws -> (status: Int32, output: String) {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = ["--port", "0", "--data-dir", directory.path] + arguments
        var merged = ProcessInfo.processInfo.environment
        merged["NN_API_TOKEN"] = nil
        merged["NN_API_TOKEN_FILE"] = nil
        process.environment = merged.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw ClientError("nnserve started although it should have refused")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output)
    }

    func testTokenFromAFileDropsTheTrailingNewline() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenFile = directory.appendingPathComponent("token")
        try Data("from-a-secret\n".utf8).write(to: tokenFile)
        let server = try ServerProcess(
            dataDirectory: directory.appendingPathComponent("data"), environment: ["NN_API_TOKEN_FILE": tokenFile.path])
        defer { _ = server.terminate() }
        var client = server.client
        XCTAssertEqual(try client.request("GET", "/v1/models").status, 401)
        client.token = "from-a-secret"
        XCTAssertEqual(try client.request("GET", "/v1/models").status, 200)
        XCTAssertFalse(server.log.contains("warning:"))
    }

    func testEmptyTokenIsAStartUpError() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let emptyFile = directory.appendingPathComponent("empty")
        try Data("\n".utf8).write(to: emptyFile)
        let cases: [([String: String], [String], String)] = [
            (["NN_API_TOKEN": ""], [], "is empty"),
            ([:], ["--api-token", ""], "is empty"),
            ([:], ["--api-token-file", emptyFile.path], "is empty"),
            ([:], ["--api-token-file", directory.appendingPathComponent("missing").path], "cannot read"),
            (["NN_API_TOKEN": "a"], ["--api-token-file", emptyFile.path], "give the API token once"),
        ]
        for (environment, arguments, message) in cases {
            let (status, output) = try startUpFailure(environment: environment, arguments: arguments)
            XCTAssertEqual(status, 2, "\(environment) \(arguments): \(output)")
            XCTAssertTrue(output.contains(message), "\(environment) \(arguments): \(output)")
            XCTAssertFalse(output.contains("listening on"), output)
        }
    }

    func testListeningBeyondLoopbackWithoutATokenWarns() throws {
        let open = try ServerProcess(dataDirectory: temporaryDirectory(), arguments: ["--host", "0.0.0.0"])
        let openLog = open.log
        _ = open.terminate()
        XCTAssertTrue(openLog.contains("warning: the address 0.0.0.0 reaches beyond loopback"), openLog)
        let guarded = try ServerProcess(
            dataDirectory: temporaryDirectory(), environment: ["NN_API_TOKEN": "t"], arguments: ["--host", "0.0.0.0"])
        let guardedLog = guarded.log
        _ = guarded.terminate()
        XCTAssertFalse(guardedLog.contains("warning:"), guardedLog)
    }

    func testSigtermStopsAcceptingAndFinishesTheRequestInFlight() throws {
        let server = try ServerProcess(dataDirectory: temporaryDirectory())
        let body = Array(#"{"inputs": [[0.0], [1.0]], "targets": [0, 1]}"#.utf8)
        let upload = try RawConnection(port: server.port)
        upload.send(
            "POST /v1/datasets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        )
        upload.send(Array(body.prefix(10)))
        usleep(100_000)
        kill(server.process.processIdentifier, SIGTERM)
        // Stopping accepting comes first: new connections are refused while the upload is open.
        let deadline = Date(timeIntervalSinceNow: 3)
        var refused = false
        while !refused && Date() < deadline {
            refused = (try? RawConnection(port: server.port)) == nil
            if !refused { usleep(20_000) }
        }
        XCTAssertTrue(refused, "the listening socket closed")
        XCTAssertTrue(server.process.isRunning, "the server waits for the request in flight")
        upload.send(Array(body.dropFirst(10)))
        XCTAssertTrue(upload.readUntilClosed(timeout: 5))
        XCTAssertTrue(upload.receivedText.hasPrefix("HTTP/1.1 201 "), upload.receivedText)
        upload.close()
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0, server.log)
        let log = server.log
        let drained = try XCTUnwrap(log.range(of: "finishing in-flight requests"))
        let jobsStopped = try XCTUnwrap(log.range(of: "returning running jobs"))
        XCTAssertLessThan(drained.lowerBound, jobsStopped.lowerBound, "requests drain before jobs stop")
    }
}
