import Foundation
import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    /// Records a finished epoch, and a checkpoint when one is given, in one transaction: the
    /// metrics row, the job's progress, the pruning of checkpoints that retention no longer
    /// keeps, the new checkpoint, and the model's weights, which become a reference to a
    /// checkpoint (the new one, or `weightsEpoch`, job-relative, when early stopping restores
    /// the best). `pinnedEpoch` (job-relative) is kept whatever retention says: the epoch early
    /// stopping may restore. Does nothing and returns false unless the job is running and
    /// `owner` holds its lease, unexpired, checked in the same transaction: a worker whose lease
    /// lapsed (and whose job another worker may have taken) writes nothing.
    /// For a sweep's trial, the same transaction applies ASHA's rung check; a trial it stops is
    /// recorded (with its checkpoint), ends `cancelled`, and the call returns false.
    public func recordEpoch(
        job: JobRecord, owner: String, metrics: EpochMetrics, checkpoint: [UInt8]?, loss: LossFunction,
        pinnedEpoch: Int?, weightsEpoch: Int?
    ) throws -> Bool {
        defer { if checkpoint != nil { modelsChanged() } }
        let recorded = try inTransaction { db in
            guard try Self.holdsLease(job: job.id, owner: owner, in: db) else { return false }
            try db.execute(
                "INSERT OR REPLACE INTO metrics(job_id, epoch, data) VALUES (?, ?, ?)",
                [job.id, metrics.epoch, StoredJSON.encode(metrics)])
            try db.execute(
                "UPDATE jobs SET epoch = ?, latest = ? WHERE id = ?",
                [metrics.epoch, StoredJSON.encode(metrics), job.id])
            guard let checkpoint else { return try !applyRungCheck(job: job, metrics: metrics, in: db) }
            let modelEpoch = job.baseEpoch + metrics.epoch
            let target = job.baseEpoch + (weightsEpoch ?? metrics.epoch)
            try pruneCheckpoints(
                model: job.modelID,
                incoming: CheckpointFigures(
                    epoch: modelEpoch, loss: metrics.loss, valLoss: metrics.valLoss, accuracy: metrics.accuracy,
                    valAccuracy: metrics.valAccuracy),
                retention: job.config.checkpoints,
                pinned: Set([target] + (pinnedEpoch.map { [job.baseEpoch + $0] } ?? [])), in: db)
            try db.execute(
                """
                INSERT OR REPLACE INTO checkpoints(model_id, epoch, job_id, loss, val_loss, accuracy, val_accuracy, created_at, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    job.modelID, modelEpoch, job.id, metrics.loss, metrics.valLoss, metrics.accuracy,
                    metrics.valAccuracy, Identifiers.now(), Data(checkpoint),
                ])
            try db.execute(
                """
                UPDATE models SET weights = NULL, weights_epoch = ?, weights_version = weights_version + 1, loss = ?,
                  epochs_trained = ?
                WHERE id = ?
                """, [target, loss.rawValue, modelEpoch, job.modelID])
            return try !applyRungCheck(job: job, metrics: metrics, in: db)
        }
        // Keeps the -wal file near one checkpoint's size during long jobs.
        if recorded && checkpoint != nil { database.boundLog() }
        return recorded
    }

    /// The newest checkpoint this job wrote, with its job-relative epoch; metrics recorded
    /// after it are removed, since the resumed run will record those epochs again.
    public func resumePoint(for job: JobRecord) throws -> (epoch: Int, state: [UInt8])? {
        try inTransaction { db -> (Int, [UInt8])? in
            guard
                let row = try db.queryOne(
                    "SELECT epoch, state FROM checkpoints WHERE job_id = ? ORDER BY epoch DESC LIMIT 1",
                    [job.id])
            else {
                try db.execute("DELETE FROM metrics WHERE job_id = ?", [job.id])
                try db.execute("UPDATE jobs SET epoch = 0, latest = NULL WHERE id = ?", [job.id])
                return nil
            }
            let epoch = (try row.get("epoch") as Int) - job.baseEpoch
            let data: Data = try row.get("state")
            try db.execute("DELETE FROM metrics WHERE job_id = ? AND epoch > ?", [job.id, epoch])
            try db.execute(
                """
                UPDATE jobs SET epoch = ?, latest = (SELECT data FROM metrics WHERE job_id = ? AND epoch = ?) WHERE id = ?
                """, [epoch, job.id, epoch, job.id])
            return (epoch, [UInt8](data))
        }
    }

    public func metrics(job id: String, after epoch: Int) throws -> [EpochMetrics] {
        try read { db in
            try db.query("SELECT data FROM metrics WHERE job_id = ? AND epoch > ? ORDER BY epoch", [id, epoch]).map {
                try StoredJSON.decode(EpochMetrics.self, try $0.get("data"))
            }
        }
    }

    public func checkpoints(model id: String) throws -> [CheckpointSummary] {
        try read { db in
            try db.query(
                """
                SELECT epoch, created_at, loss, val_loss, accuracy, val_accuracy, job_id FROM checkpoints
                WHERE model_id = ? ORDER BY epoch
                """,
                [id]
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
            try db.queryOne("SELECT state FROM checkpoints WHERE model_id = ? AND epoch = ?", [id, epoch]).map {
                [UInt8](try $0.get("state") as Data)
            }
        }
    }
}
