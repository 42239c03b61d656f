import Foundation
import NNCore
import PostgresStore

extension PostgresServiceStore {
    /// Records a finished epoch (and a checkpoint when given) in one transaction, only while
    /// `owner` holds the job's unexpired lease; see `SQLiteServiceStore.recordEpoch` for what is
    /// written. The lease check locks the job's row, so nothing can requeue or cancel the job
    /// between the check and the writes: an epoch is recorded by at most one worker. For a
    /// sweep's trial the same transaction applies ASHA's rung check (`applyRungCheck`); a trial
    /// it stops is recorded (with its checkpoint), ends `cancelled`, and the call returns false.
    public func recordEpoch(
        job: JobRecord, owner: String, metrics: EpochMetrics, checkpoint: [UInt8]?, loss: LossFunction,
        pinnedEpoch: Int?, weightsEpoch: Int?
    ) throws -> Bool {
        try inTransaction { db in
            guard try Self.holdsLease(job: job.id, owner: owner, in: db) else { return false }
            // ON CONFLICT … DO UPDATE is PostgreSQL's INSERT OR REPLACE
            // (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT).
            try db.execute(
                """
                INSERT INTO metrics(job_id, epoch, data) VALUES ($1, $2, $3)
                ON CONFLICT (job_id, epoch) DO UPDATE SET data = EXCLUDED.data
                """, [job.id, metrics.epoch, StoredJSON.encode(metrics)])
            try db.execute(
                "UPDATE jobs SET epoch = $1, latest = $2 WHERE id = $3",
                [metrics.epoch, StoredJSON.encode(metrics), job.id])
            guard let checkpoint else { return try !applyRungCheck(job: job, metrics: metrics, in: db) }
            let modelEpoch = job.baseEpoch + metrics.epoch
            let target = job.baseEpoch + (weightsEpoch ?? metrics.epoch)
            try pruneCheckpoints(
                model: job.modelID,
                incoming: SQLiteServiceStore.CheckpointFigures(
                    epoch: modelEpoch, loss: metrics.loss, valLoss: metrics.valLoss, accuracy: metrics.accuracy,
                    valAccuracy: metrics.valAccuracy),
                retention: job.config.checkpoints,
                pinned: Set([target] + (pinnedEpoch.map { [job.baseEpoch + $0] } ?? [])), in: db)
            try db.execute(
                """
                INSERT INTO checkpoints(model_id, epoch, job_id, loss, val_loss, accuracy, val_accuracy, created_at, state)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (model_id, epoch) DO UPDATE SET job_id = EXCLUDED.job_id, loss = EXCLUDED.loss,
                  val_loss = EXCLUDED.val_loss, accuracy = EXCLUDED.accuracy, val_accuracy = EXCLUDED.val_accuracy,
                  created_at = EXCLUDED.created_at, state = EXCLUDED.state
                """,
                [
                    job.modelID, modelEpoch, job.id, metrics.loss, metrics.valLoss, metrics.accuracy,
                    metrics.valAccuracy, Identifiers.now(), Data(checkpoint),
                ])
            try db.execute(
                """
                UPDATE models SET weights = NULL, weights_epoch = $1, weights_version = weights_version + 1, loss = $2,
                  epochs_trained = $3
                WHERE id = $4
                """, [target, loss.rawValue, modelEpoch, job.modelID])
            try modelsChanged(in: db)
            return try !applyRungCheck(job: job, metrics: metrics, in: db)
        }
    }

    /// Deletes the model's checkpoints that retention no longer keeps, with the incoming one
    /// counted; the ranking is `SQLiteServiceStore.epochsToKeep`, shared by both stores.
    private func pruneCheckpoints(
        model id: String, incoming: SQLiteServiceStore.CheckpointFigures, retention: CheckpointRetention,
        pinned: Set<Int>, in db: PostgresConnection
    ) throws {
        let stored = try db.query(
            "SELECT epoch, loss, val_loss, accuracy, val_accuracy FROM checkpoints WHERE model_id = $1 AND epoch <> $2",
            [id, incoming.epoch]
        ).map {
            SQLiteServiceStore.CheckpointFigures(
                epoch: try $0.get("epoch"), loss: try $0.get("loss"), valLoss: try $0.get("val_loss"),
                accuracy: try $0.get("accuracy"), valAccuracy: try $0.get("val_accuracy"))
        }
        let keep = SQLiteServiceStore.epochsToKeep(
            stored + [incoming], retention: retention, pinned: pinned.union([incoming.epoch]))
        for figures in stored where !keep.contains(figures.epoch) {
            try db.execute("DELETE FROM checkpoints WHERE model_id = $1 AND epoch = $2", [id, figures.epoch])
        }
    }

    public func resumePoint(for job: JobRecord) throws -> (epoch: Int, state: [UInt8])? {
        try inTransaction { db -> (Int, [UInt8])? in
            guard
                let row = try db.queryOne(
                    "SELECT epoch, state FROM checkpoints WHERE job_id = $1 ORDER BY epoch DESC LIMIT 1", [job.id])
            else {
                try db.execute("DELETE FROM metrics WHERE job_id = $1", [job.id])
                try db.execute("UPDATE jobs SET epoch = 0, latest = NULL WHERE id = $1", [job.id])
                return nil
            }
            let epoch = (try row.get("epoch") as Int) - job.baseEpoch
            let data: Data = try row.get("state")
            try db.execute("DELETE FROM metrics WHERE job_id = $1 AND epoch > $2", [job.id, epoch])
            try db.execute(
                """
                UPDATE jobs SET epoch = $1, latest = (SELECT data FROM metrics WHERE job_id = $2 AND epoch = $1) WHERE id = $2
                """, [epoch, job.id])
            return (epoch, [UInt8](data))
        }
    }

    public func metrics(job id: String, after epoch: Int) throws -> [EpochMetrics] {
        try read { db in
            try db.query("SELECT data FROM metrics WHERE job_id = $1 AND epoch > $2 ORDER BY epoch", [id, epoch]).map {
                try StoredJSON.decode(EpochMetrics.self, try $0.get("data"))
            }
        }
    }
}
