import Foundation
import NNService
import XCTest

/// A server killed with SIGKILL mid-training restarts and finishes the job from its last
/// checkpoint with the same final weights as an uninterrupted run.
final class CrashRecoveryTests: XCTestCase {
    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nnserve-crash-\(UUID().uuidString)")
    }

    private func submit(_ client: TestClient, csv: String) throws -> String {
        let dataset = try client.request(
            "POST", "/v1/datasets?drop=split", body: Array(csv.utf8), contentType: "text/csv")
        XCTAssertEqual(dataset.status, 201, dataset.text)
        let job: [String: Any] = [
            "model": [
                "input_shape": [64],
                "layers": [
                    ["type": "dense", "units": 384, "activation": "relu"],
                    ["type": "dropout", "rate": 0.2],
                    ["type": "dense", "units": 384, "activation": "tanh"],
                    ["type": "dense", "units": 10],
                ],
            ],
            "dataset": dataset.object["id"] as? String ?? "", "loss": "cross_entropy", "validation": ["split": 0.1],
            "optimizer": ["type": "adam", "learning_rate": 0.001], "batch_size": 32, "epochs": 24, "seed": 7,
            "checkpoint_every": 2, "lr_schedule": ["type": "cosine"],
        ]
        let response = try client.json("POST", "/v1/jobs", job)
        XCTAssertEqual(response.status, 202, response.text)
        return response.object["id"] as? String ?? ""
    }

    private func waitFor(
        _ client: TestClient, job: String, until done: ([String: Any]) -> Bool, timeout: Double = 240
    ) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let object = try client.request("GET", "/v1/jobs/\(job)").object
            if done(object) { return object }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ClientError("job \(job) did not reach the expected state")
    }

    private func finalWeights(_ client: TestClient, job: String) throws -> (weights: [UInt8], losses: [Double]) {
        let object = try waitFor(client, job: job) {
            ["succeeded", "failed", "cancelled"].contains($0["status"] as? String ?? "")
        }
        XCTAssertEqual(object["status"] as? String, "succeeded", "\(object)")
        let model = object["model_id"] as? String ?? ""
        let history = try client.request("GET", "/v1/jobs/\(job)/metrics").object["epochs"] as? [[String: Any]] ?? []
        return (
            try client.request("GET", "/v1/models/\(model)/weights").body, history.compactMap { $0["loss"] as? Double }
        )
    }

    func testKilledServerResumesToTheSameWeights() throws {
        let csv = try DigitsFixture.load().trainCSV
        let straightDirectory = temporaryDirectory(), crashDirectory = temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: straightDirectory)
            try? FileManager.default.removeItem(at: crashDirectory)
        }
        let straight = try ServerProcess(dataDirectory: straightDirectory)
        let expected = try finalWeights(straight.client, job: try submit(straight.client, csv: csv))
        let stopped = straight.terminate()
        XCTAssertEqual(stopped.status, 0)

        var server = try ServerProcess(dataDirectory: crashDirectory)
        let job = try submit(server.client, csv: csv)
        _ = try waitFor(server.client, job: job) { ($0["epoch"] as? Int ?? 0) >= 5 }
        server.kill()
        server = try ServerProcess(dataDirectory: crashDirectory)
        XCTAssert(server.log.contains("resuming 1 queued job"), server.log)
        let resumed = try finalWeights(server.client, job: job)
        XCTAssertEqual(resumed.losses.count, 24, "one metrics entry per epoch after the resume")
        XCTAssertEqual(resumed.losses, expected.losses)
        XCTAssertFalse(expected.weights.isEmpty)
        XCTAssertEqual(resumed.weights, expected.weights, "resumed training must give the same bits")

        // SIGTERM exits 0 within 10 s; the database is sound afterwards.
        let exit = server.terminate()
        XCTAssertEqual(exit.status, 0)
        XCTAssertLessThan(exit.seconds, 10)
        let store = try SQLiteServiceStore(path: crashDirectory.appendingPathComponent("nnserve.sqlite").path)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
        try store.close()
    }

    /// SIGTERM mid-training exits 0 within 10 s; the job goes back to the queue and the next
    /// start finishes it.
    func testTerminatedServerExitsCleanlyAndTheJobResumes() throws {
        let csv = try DigitsFixture.load().trainCSV
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try ServerProcess(dataDirectory: directory)
        let job = try submit(server.client, csv: csv)
        _ = try waitFor(server.client, job: job) { ($0["epoch"] as? Int ?? 0) >= 3 }
        let exit = server.terminate()
        XCTAssertEqual(exit.status, 0, server.log)
        XCTAssertLessThan(exit.seconds, 10)
        XCTAssert(server.log.contains("interrupted by shutdown"), server.log)
        server = try ServerProcess(dataDirectory: directory)
        let resumed = try finalWeights(server.client, job: job)
        XCTAssertEqual(resumed.losses.count, 24)
        XCTAssertEqual(server.terminate().status, 0)
    }
}
