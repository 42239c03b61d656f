import Foundation
import NNCore
import NNService
import SQLiteStore
import XCTest

/// The `checkpoints` job option, `DELETE /v1/models/{id}/checkpoints/{epoch}`, and the
/// migration of a database written before checkpoints were pruned.
final class CheckpointRetentionTests: XCTestCase {
    private func tinyDataset(_ client: TestClient) throws -> String {
        let response = try client.json(
            "POST", "/v1/datasets", ["inputs": [[0, 1], [1, 0], [1, 1], [0, 0]], "targets": [1, 1, 0, 0]])
        XCTAssertEqual(response.status, 201, response.text)
        return response.object["id"] as? String ?? ""
    }

    private func job(_ dataset: String, _ extra: [String: Any]) -> [String: Any] {
        [
            "model": ["input_shape": [2], "layers": [["type": "dense", "units": 2]]], "dataset": dataset,
            "loss": "cross_entropy", "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 5,
        ].merging(extra) { $1 }
    }

    func testBadCheckpointOptionsAreRejectedWithTheirPath() throws {
        let service = try ServiceHarness(startQueue: false)
        defer { service.shutdown() }
        let client = service.client
        let dataset = try tinyDataset(client)
        let before = try service.counts()
        let cases: [(Any, String)] = [
            (["keep_last": 0], "checkpoints.keep_last"),
            (["keep_last": -1], "checkpoints.keep_last"),
            (["keep_last": 9_223_372_036_854_775_807], "checkpoints.keep_last"),
            (["keep_last": 1e300], "checkpoints.keep_last"),
            (["keep_last": "3"], "checkpoints.keep_last"),
            (["keep_best": -1], "checkpoints.keep_best"),
            (["keep_best": 2.5], "checkpoints.keep_best"),
            (["monitor": "val_acc"], "checkpoints.monitor"),
            (["monitor": String(repeating: "x", count: 100_000)], "checkpoints.monitor"),
            (["keep": 3], "checkpoints.keep"),
            ([3], "checkpoints"),
            ("all", "checkpoints"),
        ]
        for (value, path) in cases {
            let response = try client.json("POST", "/v1/jobs", job(dataset, ["checkpoints": value]))
            XCTAssertEqual(response.status, 422, "\(value): \(response.text)")
            XCTAssertEqual(response.errorPath, path, "\(value): \(response.text)")
        }
        let restore = try client.json(
            "POST", "/v1/jobs", job(dataset, ["early_stopping": ["monitor": "loss", "restore_best": "yes"]]))
        XCTAssertEqual(restore.status, 422, restore.text)
        XCTAssertEqual(restore.errorPath, "early_stopping.restore_best", restore.text)
        XCTAssertEqual(try service.counts(), before, "a rejected job stores nothing")

        let accepted = try client.json(
            "POST", "/v1/jobs",
            job(dataset, ["checkpoints": ["keep_last": 1, "keep_best": 0, "monitor": "accuracy"]]))
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let echoed = (accepted.object["config"] as? [String: Any])?["checkpoints"] as? [String: Any]
        XCTAssertEqual(echoed?["keep_last"] as? Int, 1, accepted.text)
        XCTAssertEqual(echoed?["monitor"] as? String, "accuracy", accepted.text)
    }

    /// Retention keeps the `keep_last` newest and the `keep_best` best; the newest checkpoint of
    /// a running job cannot be deleted (it is where the job resumes), the others can; deleting
    /// the one the model's weights are leaves the model its weights.
    func testRetentionAndDeletingCheckpoints() throws {
        let service = try ServiceHarness(startQueue: false)
        defer { service.shutdown() }
        let client = service.client
        let dataset = try tinyDataset(client)
        let submitted = try client.json(
            "POST", "/v1/jobs", job(dataset, ["checkpoints": ["keep_last": 2, "keep_best": 1, "monitor": "loss"]]))
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let jobID = submitted.object["id"] as? String ?? ""
        let modelID = submitted.object["model_id"] as? String ?? ""
        let running = try XCTUnwrap(try service.store.claimNextJob(owner: "test", leaseSeconds: 600))
        for (epoch, loss) in [0.5, 0.2, 0.4, 0.6, 0.7].enumerated() {
            let metrics = try JSONDecoder().decode(
                EpochMetrics.self,
                from: Data(
                    #"{"epoch": \#(epoch + 1), "loss": \#(loss), "learning_rate": 0.1, "grad_norm": 1, "grad_norms": {}, "seconds": 0}"#
                        .utf8))
            let weights = Tensor(shape: [2, 2], scalars: [Float(epoch), 1, 2, 3])
            let bias = Tensor(shape: [2], scalars: [0, 0])
            let state = SafetensorsFile(tensors: [("layers.0.weight", weights), ("layers.0.bias", bias)]).encoded()
            XCTAssertTrue(
                try service.store.recordEpoch(
                    job: running, owner: "test", metrics: metrics, checkpoint: state, loss: .crossEntropy,
                    pinnedEpoch: nil, weightsEpoch: nil))
            let epochs = try service.store.checkpoints(model: modelID).map(\.epoch)
            XCTAssertLessThanOrEqual(epochs.count, 3, "\(epochs)")
        }
        XCTAssertEqual(try service.store.checkpoints(model: modelID).map(\.epoch), [2, 4, 5])
        let metricsText = try client.request("GET", "/metrics").text
        XCTAssert(metricsText.contains("nnserve_checkpoints 3"), metricsText)
        XCTAssert(metricsText.contains("nnserve_database_bytes "), metricsText)

        let path = "/v1/models/\(modelID)/checkpoints"
        let refused = try client.request("DELETE", "\(path)/5")
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssert(refused.text.contains(jobID), refused.text)
        let predict = { (epoch: Int) in
            try client.json("POST", "/v1/models/\(modelID)/predict?epoch=\(epoch)", ["inputs": [[1, 0]]]).status
        }
        XCTAssertEqual(try predict(2), 200)
        XCTAssertEqual(try client.request("DELETE", "\(path)/2").status, 204)
        XCTAssertEqual(try client.request("DELETE", "\(path)/2").status, 404)
        XCTAssertEqual(try predict(2), 404, "a deleted checkpoint no longer answers predictions")
        for bad in ["-1", "1.5", "%00", "1e3", String(repeating: "9", count: 5000), "%EF%BC%95"] {
            // A path segment that decodes to a control character is refused before routing.
            let expected = bad == "%00" ? 400 : 404
            XCTAssertEqual(try client.request("DELETE", "\(path)/\(bad)").status, expected, bad)
        }
        XCTAssertEqual(try client.request("DELETE", "/v1/models/m_nope/checkpoints/5").status, 404)
        XCTAssertEqual(try service.store.checkpoints(model: modelID).map(\.epoch), [4, 5])

        // Once the job has ended, its newest checkpoint may go; the model keeps its weights.
        _ = try service.store.transition(jobID, .succeed, owner: "test", error: nil, stoppedEarly: false)
        let weights = try client.request("GET", "/v1/models/\(modelID)/weights")
        XCTAssertEqual(weights.status, 200)
        XCTAssertEqual(try client.request("DELETE", "\(path)/5").status, 204)
        XCTAssertEqual(try client.request("GET", "/v1/models/\(modelID)/weights").body, weights.body)
        XCTAssertNil(try service.store.model(modelID)?.weightsEpoch)
        XCTAssertEqual(try service.store.integrityCheck(), ["ok"])
    }

    /// The defaults without validation data: the 3 newest and the best by `loss`, since
    /// `val_loss` falls back to it.
    func testDefaultMonitorFallsBackToLossWithoutValidation() throws {
        let service = try ServiceHarness(startQueue: false)
        defer { service.shutdown() }
        let submitted = try service.client.json("POST", "/v1/jobs", job(try tinyDataset(service.client), [:]))
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let modelID = submitted.object["model_id"] as? String ?? ""
        let running = try XCTUnwrap(try service.store.claimNextJob(owner: "test", leaseSeconds: 600))
        for (epoch, loss) in [0.9, 0.1, 0.5, 0.6, 0.7, 0.8].enumerated() {
            let metrics = try JSONDecoder().decode(
                EpochMetrics.self,
                from: Data(
                    #"{"epoch": \#(epoch + 1), "loss": \#(loss), "learning_rate": 0.1, "grad_norm": 1, "grad_norms": {}, "seconds": 0}"#
                        .utf8))
            let state = SafetensorsFile(tensors: [("layers.0.weight", Tensor(shape: [1], scalars: [1]))]).encoded()
            XCTAssertTrue(
                try service.store.recordEpoch(
                    job: running, owner: "test", metrics: metrics, checkpoint: state, loss: .crossEntropy,
                    pinnedEpoch: nil, weightsEpoch: nil))
        }
        XCTAssertEqual(try service.store.checkpoints(model: modelID).map(\.epoch), [2, 4, 5, 6])
    }

    /// A database from before retention: trained weights equal to the last checkpoint become a
    /// reference to it, uploaded weights stay, the file turns to incremental auto-vacuum.
    func testOlderDatabaseMigratesToOneCopyOfTheWeights() throws {
        let path = StorageSupport.temporaryDirectory().appendingPathExtension("sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let weights = SafetensorsFile(tensors: [("layers.0.weight", Tensor(shape: [2], scalars: [1, 2]))]).encoded()
        let checkpoint = SafetensorsFile(
            tensors: [
                ("layers.0.weight", Tensor(shape: [2], scalars: [1, 2])),
                ("optimizer.0", Tensor(shape: [2], scalars: [9, 9])),
            ], metadata: ["format": "nnserve-checkpoint-1"])
        let uploaded = SafetensorsFile(tensors: [("layers.0.weight", Tensor(shape: [2], scalars: [5, 6]))]).encoded()
        do {
            let old = try Database(path: path)
            var migrator = Migrator()
            migrator.register("001_initial_schema") { db in try db.executeScript(Self.initialSchema) }
            try migrator.migrate(old)
            try old.write { db in
                let spec = #"{"input_shape":[2],"layers":[{"type":"dense","units":1}]}"#
                for (id, blob) in [("m_trained", weights), ("m_uploaded", uploaded)] {
                    try db.execute(
                        "INSERT INTO models(id, spec, weights, epochs_trained, created_at) VALUES (?, ?, ?, 3, 'now')",
                        [id, spec, Data(blob)])
                    try db.execute(
                        "INSERT INTO checkpoints(model_id, epoch, created_at, state) VALUES (?, 3, 'now', ?)",
                        [id, Data(checkpoint.encoded())])
                }
            }
            try old.close()
        }
        let store = try SQLiteServiceStore(path: path)
        defer { try? store.close() }
        XCTAssertEqual(try store.model("m_trained")?.weightsEpoch, 3)
        XCTAssertNil(try store.model("m_uploaded")?.weightsEpoch)
        XCTAssertEqual(try store.modelWeights("m_trained")?.bytes, weights)
        XCTAssertEqual(try store.modelWeights("m_uploaded")?.bytes, uploaded)
        let mode = try store.database.read { try $0.queryOne("PRAGMA auto_vacuum")?.get(at: 0, as: Int.self) }
        XCTAssertEqual(mode, 2, "incremental auto-vacuum")
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    /// The schema of `001_initial_schema`, as older servers wrote it.
    static let initialSchema = """
        CREATE TABLE datasets(
          seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
          rows INTEGER NOT NULL, input_shape TEXT NOT NULL, target TEXT NOT NULL,
          inputs BLOB NOT NULL, targets BLOB NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE models(
          seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,
          loss TEXT, weights BLOB, weights_version INTEGER NOT NULL DEFAULT 0,
          epochs_trained INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
        CREATE TABLE jobs(
          seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
          model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
          dataset_id TEXT NOT NULL, validation_dataset_id TEXT, config TEXT NOT NULL,
          status TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0, epochs INTEGER NOT NULL,
          base_epoch INTEGER NOT NULL DEFAULT 0, latest TEXT, error TEXT,
          stopped_early INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
        CREATE INDEX jobs_status ON jobs(status, seq);
        CREATE TABLE metrics(
          job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
          data TEXT NOT NULL, PRIMARY KEY(job_id, epoch));
        CREATE TABLE checkpoints(
          model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
          job_id TEXT, loss REAL, val_loss REAL, created_at TEXT NOT NULL, state BLOB NOT NULL,
          PRIMARY KEY(model_id, epoch));
        """
}
