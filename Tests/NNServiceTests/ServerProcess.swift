import Foundation
import XCTest

/// The `nnserve` binary of this build, run as a child process on a free port.
final class ServerProcess {
    let process = Process()
    let logURL: URL
    private(set) var port = 0

    /// The test bundle runs from the build's products folder (`.build/release`, or a
    /// `--scratch-path` of a sanitizer build), where `nnserve` of the same build sits beside it.
    static var binary: URL {
        let products = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        let beside = products.appendingPathComponent("nnserve")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/release/nnserve")
    }

    init(dataDirectory: URL, environment extra: [String: String] = [:]) throws {
        logURL = dataDirectory.appendingPathExtension("log")
        try? FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["--port", "0", "--data-dir", dataDirectory.path]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardError = try FileHandle(forWritingTo: logURL)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last!)!
                return
            }
            guard process.isRunning else { throw ClientError("nnserve exited at start: \(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClientError("nnserve did not start within 20 s")
    }

    var client: TestClient { TestClient(port: port) }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and returns the exit status and the seconds it took to exit.
    func terminate() -> (status: Int32, seconds: Double) {
        let start = Date()
        process.terminate()
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
}
