import Foundation
import NNCore
import SQLiteStore

/// ASHA inside the store (part of `SweepStorage`'s contract for any implementation): the rung
/// check runs in the transaction that records a trial's epoch, so the decision needs no callback from the training loop and sees every earlier
/// arrival at the rung (SQLite serialises writers: https://www.sqlite.org/isolation.html).
extension SQLiteServiceStore {
    /// If the job is a trial of a running sweep with early termination and `metrics.epoch` is
    /// a rung, records its arrival and applies `ASHARule`; a trial that does not continue ends
    /// `cancelled` with `stopped_by = 'asha'` (its checkpoints stay). Returns true when it stopped
    /// the job. A resumed trial that reaches a rung again keeps its first decision.
    func applyRungCheck(job: JobRecord, metrics: EpochMetrics, in db: Connection) throws -> Bool {
        guard
            let row = try db.queryOne(
                """
                SELECT t.sweep_id AS sweep_id, t.trial AS trial, s.metric AS metric, s.goal AS goal,
                  s.asha_min_epochs AS min_epochs, s.asha_reduction_factor AS factor
                FROM sweep_trials t JOIN sweeps s ON s.id = t.sweep_id
                WHERE t.job_id = ? AND s.status = 'running' AND s.asha_min_epochs IS NOT NULL
                """, [job.id])
        else { return false }
        let rule = ASHARule(
            minEpochs: try row.get("min_epochs"), reductionFactor: try row.get("factor"),
            maximize: try row.get("goal") as String == SweepRequest.Goal.maximize.rawValue)
        guard rule.isRung(metrics.epoch, epochs: job.config.epochs) else { return false }
        let sweep: String = try row.get("sweep_id")
        let trial: Int = try row.get("trial")
        let continues: Bool
        if let decided = try db.queryOne(
            "SELECT continues FROM sweep_rungs WHERE sweep_id = ? AND rung = ? AND trial = ?",
            [sweep, metrics.epoch, trial])
        {
            continues = try decided.get("continues")
        } else {
            let earlier: [Double?] = try db.query(
                "SELECT metric FROM sweep_rungs WHERE sweep_id = ? AND rung = ? ORDER BY arrival",
                [sweep, metrics.epoch]
            ).map { try $0.get("metric") }
            let value = Self.metric(try row.get("metric"), of: metrics)
            continues = rule.continues(metric: value, earlier: earlier)
            try db.execute(
                "INSERT INTO sweep_rungs(sweep_id, rung, trial, metric, continues, arrival) VALUES (?, ?, ?, ?, ?, ?)",
                [sweep, metrics.epoch, trial, value, continues, earlier.count])
        }
        guard !continues else { return false }
        try db.execute(
            """
            UPDATE jobs SET status = 'cancelled', finished_at = ?, stopped_by = 'asha', lease_owner = NULL,
              lease_expires_at = NULL
            WHERE id = ? AND status = 'running'
            """,
            [Identifiers.now(), job.id])
        return true
    }

    static func metric(_ name: String, of metrics: EpochMetrics) -> Double? {
        let value: Double? =
            switch name {
            case "loss": metrics.loss
            case "val_loss": metrics.valLoss
            case "accuracy": metrics.accuracy
            case "val_accuracy": metrics.valAccuracy
            default: nil
            }
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// The rung records of a sweep in arrival order at each rung (for tests and diagnosis).
    func sweepRungs(_ id: String) throws -> [(rung: Int, trial: Int, metric: Double?, continues: Bool)] {
        try read { db in
            try db.query(
                "SELECT rung, trial, metric, continues FROM sweep_rungs WHERE sweep_id = ? ORDER BY rung, arrival", [id]
            ).map { (try $0.get("rung"), try $0.get("trial"), try $0.get("metric"), try $0.get("continues")) }
        }
    }
}
