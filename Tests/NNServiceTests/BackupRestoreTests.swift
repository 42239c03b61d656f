import Foundation
import NNService
import XCTest

/// `nnserve backup` while a server trains and serves, and `nnserve restore` onto a stopped
/// one, each against real processes.
final class BackupRestoreTests: XCTestCase {
    func testBackupMidTrainingRestoresAndTheJobResumes() throws {
        let live = StorageSupport.temporaryDirectory(), restored = StorageSupport.temporaryDirectory()
        let backup = StorageSupport.temporaryDirectory().appendingPathExtension("sqlite")
        defer {
            for url in [live, restored, backup] { try? FileManager.default.removeItem(at: url) }
        }
        var server = try ServerProcess(dataDirectory: live, environment: ["NN_THREADS": "1"])
        let client = server.client
        let dataset = try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 64, features: 32, seed: 9))
        let submitted = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [32],
                    "layers": [["type": "dense", "units": 64, "activation": "relu"], ["type": "dense", "units": 10]],
                ],
                "dataset": dataset.id, "loss": "cross_entropy", "optimizer": ["type": "adam", "learning_rate": 0.001],
                "batch_size": 4, "epochs": 3000, "seed": 4, "checkpoints": ["keep_last": 1_000_000],
            ] as [String: Any])
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let jobID = submitted.object["id"] as? String ?? ""
        let modelID = submitted.object["model_id"] as? String ?? ""
        _ = try StorageSupport.waitFor(client, job: jobID) { ($0["epoch"] as? Int ?? 0) >= 5 }
        // Acknowledged before the backup begins: a second model, and the checkpoints listed.
        let other = try client.json(
            "POST", "/v1/models", ["input_shape": [4], "layers": [["type": "dense", "units": 2]]])
        XCTAssertEqual(other.status, 201, other.text)
        let acknowledged = try checkpointEpochs(client, modelID)
        XCTAssertGreaterThanOrEqual(acknowledged.count, 5)

        let result = try StorageSupport.run(["backup", backup.path, "--data-dir", live.path])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssert(result.output.contains("integrity_check ok"), result.output)
        let during = try client.request("GET", "/v1/jobs/\(jobID)").object
        XCTAssertEqual(during["status"] as? String, "running", "the backup was taken mid-training")
        XCTAssertEqual(server.terminate().status, 0)

        // The copy is sound and holds everything acknowledged before it began.
        let copy = try SQLiteServiceStore(path: backup.path)
        XCTAssertEqual(try copy.integrityCheck(), ["ok"])
        XCTAssertNotNil(try copy.job(jobID))
        XCTAssertNotNil(try copy.model(modelID))
        XCTAssertNotNil(try copy.model(other.object["id"] as? String ?? ""))
        XCTAssertNotNil(try copy.dataset(dataset.id))
        let copied = Set(try copy.checkpoints(model: modelID).map(\.epoch))
        XCTAssert(Set(acknowledged).isSubset(of: copied), "\(acknowledged) ⊄ \(copied.sorted())")
        let backedUpEpoch = copied.max() ?? 0
        try copy.close()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: backup.path + suffix) }

        // Hostile inputs: a missing source, a file that is not a database, no argument.
        XCTAssertEqual(
            try StorageSupport.run(["restore", "/nonexistent/x.sqlite", "--data-dir", restored.path]).status, 1)
        let notDatabase = try StorageSupport.run(["restore", server.logURL.path, "--data-dir", restored.path])
        XCTAssertEqual(notDatabase.status, 1)
        XCTAssert(notDatabase.error.contains("not a readable SQLite database"), notDatabase.error)
        XCTAssertEqual(try StorageSupport.run(["backup"]).status, 2)

        let restore = try StorageSupport.run(["restore", backup.path, "--data-dir", restored.path])
        XCTAssertEqual(restore.status, 0, restore.error)
        XCTAssert(restore.output.contains("replaced"), restore.output)
        server = try ServerProcess(dataDirectory: restored, environment: ["NN_THREADS": "1"])
        defer { _ = server.terminate() }
        XCTAssert(server.log.contains("resuming 1 queued job"), server.log)
        // Restoring under a running server is refused, and names the lock.
        let refused = try StorageSupport.run(["restore", backup.path, "--data-dir", restored.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssert(refused.error.contains("nnserve.lock"), refused.error)
        let resumed = try StorageSupport.waitFor(server.client, job: jobID) {
            ($0["epoch"] as? Int ?? 0) > backedUpEpoch + 2
        }
        XCTAssertEqual(resumed["status"] as? String, "running")
        let history =
            try server.client.request("GET", "/v1/jobs/\(jobID)/metrics").object["epochs"] as? [[String: Any]] ?? []
        let epochs = history.compactMap { $0["epoch"] as? Int }
        XCTAssertEqual(epochs, Array(1...(epochs.last ?? 0)), "the resumed run continues the recorded epochs")
        XCTAssertEqual(try server.client.request("POST", "/v1/jobs/\(jobID)/cancel").status, 200)
    }

    func testHelpNamesBothCommands() throws {
        let help = try StorageSupport.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssert(help.output.contains("nnserve backup DEST"), help.output)
        XCTAssert(help.output.contains("nnserve restore SRC"), help.output)
        XCTAssert(help.output.contains("nnserve.lock"), help.output)
    }

    private func checkpointEpochs(_ client: TestClient, _ model: String) throws -> [Int] {
        let items = try client.request("GET", "/v1/models/\(model)/checkpoints").object["items"] as? [[String: Any]]
        return (items ?? []).compactMap { $0["epoch"] as? Int }
    }
}
