import Foundation
import XCTest

/// What the storage tests share: small seeded data sets, the size of a data directory's
/// database, and running `nnserve backup` / `nnserve restore`.
enum StorageSupport {
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nnserve-storage-\(UUID().uuidString)")
    }

    /// `rows` rows of `features` values in [-1, 1) and a class label in 0..<10, from a fixed seed.
    static func randomCSV(rows: Int, features: Int, seed: UInt64) -> String {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var lines = [(0..<features).map { "x\($0)" }.joined(separator: ",") + ",label"]
        for _ in 0..<rows {
            let values = (0..<features).map { _ in String(Double(next() % 2000) / 1000 - 1) }
            lines.append(values.joined(separator: ",") + ",\(next() % 10)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func upload(_ client: TestClient, _ csv: String) throws -> (id: String, bytes: Int) {
        let response = try client.request(
            "POST", "/v1/datasets?target=label", body: Array(csv.utf8), contentType: "text/csv")
        XCTAssertEqual(response.status, 201, response.text)
        return (response.object["id"] as? String ?? "", response.object["bytes"] as? Int ?? 0)
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The database file plus its write-ahead log, in bytes.
    static func databaseBytes(_ directory: URL) -> (file: Int, wal: Int) {
        let database = directory.appendingPathComponent("nnserve.sqlite")
        return (fileSize(database), fileSize(URL(fileURLWithPath: database.path + "-wal")))
    }

    /// Runs `nnserve ARGUMENTS` to completion: exit status, standard output, standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    static func waitFor(
        _ client: TestClient, job: String, timeout: Double = 120, until done: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let object = try client.request("GET", "/v1/jobs/\(job)").object
            if done(object) { return object }
            Thread.sleep(forTimeInterval: 0.005)
        }
        throw ClientError("job \(job) did not reach the expected state within \(timeout) s")
    }

    static func ended(_ job: [String: Any]) -> Bool {
        ["succeeded", "failed", "cancelled"].contains(job["status"] as? String ?? "")
    }

    static func metric(_ client: TestClient, _ name: String) throws -> Double? {
        let text = try client.request("GET", "/metrics").text
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }
}
