import Foundation
import XCTest

/// Sweeps against a real `nnserve` process: a sweep survives a kill and its restart continues
/// it to the end, each trial run by exactly one job.
final class SweepProcessTests: XCTestCase {
    func testKilledServerContinuesTheSweepAfterRestart() throws {
        let directory = StorageSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try ServerProcess(dataDirectory: directory)
        let dataset = try SweepSupport.upload(server.client, SweepSupport.learnableCSV(rows: 3000))
        let created = try server.client.json(
            "POST", "/v1/sweeps",
            [
                "name": "restart", "job": SweepSupport.job(dataset: dataset, epochs: 20), "search": "grid",
                "parameters": ["optimizer.learning_rate": ["values": [0.02, 0.05, 0.1, 0.2]]],
            ])
        XCTAssertEqual(created.status, 202, created.text)
        let id = created.object["id"] as? String ?? ""
        // Kill it while the second trial runs.
        let deadline = Date().addingTimeInterval(60)
        var counts: [String: Int] = [:]
        repeat {
            counts = try server.client.request("GET", "/v1/sweeps/\(id)").object["counts"] as? [String: Int] ?? [:]
            Thread.sleep(forTimeInterval: 0.01)
        } while !(counts["succeeded"] == 1 && counts["running"] == 1) && Date() < deadline
        XCTAssertEqual(counts["succeeded"], 1, "\(counts)")
        server.kill()
        server = try ServerProcess(dataDirectory: directory)
        let sweep = try SweepSupport.waitForSweep(server.client, id)
        XCTAssertEqual(sweep["status"] as? String, "succeeded", "\(sweep)")
        let trials = SweepSupport.trials(sweep)
        XCTAssertEqual(trials.map { $0["status"] as? String }, Array(repeating: "succeeded", count: 4))
        XCTAssertEqual(trials.map { $0["epochs"] as? Int }, Array(repeating: 20, count: 4))
        let jobs = try server.client.request("GET", "/v1/jobs?tag=sweep:\(id)").object["items"] as? [[String: Any]]
        XCTAssertEqual(jobs?.count, 4, "one job per trial, none launched twice")
        XCTAssertEqual(Set(jobs?.compactMap { $0["name"] as? String } ?? []), Set((1...4).map { "restart #\($0)" }))
        XCTAssertEqual(server.terminate().status, 0)
    }
}
