import Foundation
import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    /// Deletes one checkpoint. 404 for an unknown model or epoch; 409 for the checkpoint a
    /// queued or running job would resume from (its newest). When the model's weights are
    /// those of this checkpoint, they are first copied into the model, so the model keeps them.
    public func deleteCheckpoint(model id: String, epoch: Int) throws {
        try inTransaction { db in
            guard let model = try db.queryOne("SELECT weights_epoch FROM models WHERE id = ?", [id]) else {
                throw StorageError.missing("model", id)
            }
            guard
                let checkpoint = try db.queryOne(
                    "SELECT job_id, state FROM checkpoints WHERE model_id = ? AND epoch = ?", [id, epoch])
            else {
                throw StorageError.notFound("model \(id) has no checkpoint at epoch \(epoch)")
            }
            if let jobID = try checkpoint.get("job_id") as String?,
                let resumeFrom = try db.queryOne(
                    """
                    SELECT MAX(checkpoints.epoch) AS epoch FROM checkpoints JOIN jobs ON jobs.id = checkpoints.job_id
                    WHERE checkpoints.job_id = ? AND jobs.status IN ('queued', 'running')
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
                    "UPDATE models SET weights = ?, weights_epoch = NULL WHERE id = ?",
                    [Data(try TrainingCheckpoint.weights(from: state).encoded()), id])
            }
            try db.execute("DELETE FROM checkpoints WHERE model_id = ? AND epoch = ?", [id, epoch])
            // Networks loaded for predictions are keyed by this version: none of this
            // checkpoint may answer once it is gone.
            try db.execute("UPDATE models SET weights_version = weights_version + 1 WHERE id = ?", [id])
        }
        modelsChanged()
        try vacuum()
    }

    /// The database file and its log in bytes, free pages in bytes, and stored checkpoints.
    public func storageFigures() throws -> StorageFigures {
        let (checkpoints, freeBytes) = try read { db in
            (
                try db.queryOne("SELECT COUNT(*) FROM checkpoints")?.get(at: 0, as: Int.self) ?? 0,
                (try db.queryOne("PRAGMA freelist_count")?.get(at: 0, as: Int.self) ?? 0)
                    * (try db.queryOne("PRAGMA page_size")?.get(at: 0, as: Int.self) ?? 0)
            )
        }
        func size(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }
        let path = database.isInMemory ? "" : database.path
        return StorageFigures(
            databaseBytes: database.isInMemory ? try database.fileBytes() : size(path),
            walBytes: database.isInMemory ? 0 : size(path + "-wal"), freeBytes: freeBytes, checkpoints: checkpoints)
    }
}
