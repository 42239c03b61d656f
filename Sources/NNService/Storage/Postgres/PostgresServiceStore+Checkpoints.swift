import Foundation
import NNCore
import PostgresStore

extension PostgresServiceStore {
    public func checkpoints(model id: String) throws -> [CheckpointSummary] {
        try read { db in
            try db.query(
                """
                SELECT epoch, created_at, loss, val_loss, accuracy, val_accuracy, job_id FROM checkpoints
                WHERE model_id = $1 ORDER BY epoch
                """, [id]
            ).map {
                CheckpointSummary(
                    epoch: try $0.get("epoch"), created_at: try $0.get("created_at"), loss: try $0.get("loss"),
                    val_loss: try $0.get("val_loss"), accuracy: try $0.get("accuracy"),
                    val_accuracy: try $0.get("val_accuracy"), job_id: try $0.get("job_id"))
            }
        }
    }

    public func checkpointState(model id: String, epoch: Int) throws -> [UInt8]? {
        try read { db in
            try db.queryOne("SELECT state FROM checkpoints WHERE model_id = $1 AND epoch = $2", [id, epoch]).map {
                [UInt8](try $0.get("state") as Data)
            }
        }
    }

    /// Deletes one checkpoint under the model's row lock; see `SQLiteServiceStore.deleteCheckpoint`.
    public func deleteCheckpoint(model id: String, epoch: Int) throws {
        try inTransaction { db in
            guard
                let model = try db.queryOne("SELECT weights_epoch FROM models WHERE id = $1 FOR UPDATE", [id])
            else { throw StorageError.missing("model", id) }
            guard
                let checkpoint = try db.queryOne(
                    "SELECT job_id, state FROM checkpoints WHERE model_id = $1 AND epoch = $2", [id, epoch])
            else { throw StorageError.notFound("model \(id) has no checkpoint at epoch \(epoch)") }
            if let jobID = try checkpoint.get("job_id") as String?,
                let resumeFrom = try db.queryOne(
                    """
                    SELECT MAX(checkpoints.epoch) AS epoch FROM checkpoints JOIN jobs ON jobs.id = checkpoints.job_id
                    WHERE checkpoints.job_id = $1 AND jobs.status IN ('queued', 'running')
                    """, [jobID]),
                try resumeFrom.get("epoch") as Int? == epoch
            {
                throw StorageError.conflict(
                    "checkpoint \(epoch) of model \(id) is where job \(jobID) resumes from; cancel the job or wait for it to end"
                )
            }
            if try model.get("weights_epoch") as Int? == epoch {
                let state = [UInt8](try checkpoint.get("state") as Data)
                try db.execute(
                    "UPDATE models SET weights = $1, weights_epoch = NULL WHERE id = $2",
                    [Data(try TrainingCheckpoint.weights(from: state).encoded()), id])
            }
            try db.execute("DELETE FROM checkpoints WHERE model_id = $1 AND epoch = $2", [id, epoch])
            // Networks loaded for predictions are keyed by this version.
            try db.execute("UPDATE models SET weights_version = weights_version + 1 WHERE id = $1", [id])
            try modelsChanged(in: db)
        }
    }
}
