import Foundation
import NNCore
import PostgresStore

/// ASHA inside `recordEpoch`'s transaction, as `SQLiteServiceStore.applyRungCheck` does it.
/// SQLite has one writer at a time; here workers on several machines record epochs at once, so
/// the sweep's row is locked (`FOR UPDATE`) before the rung's records are read: arrivals at one
/// sweep's rungs take turns, each numbered after and ranked against every arrival committed
/// before it (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS,
/// https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE). The job's
/// row is already locked by the lease check; every path that takes both locks takes the job's
/// first, and a deadlock would be run again by `PostgresDatabase.transaction` anyway.
extension PostgresServiceStore {
    /// If the job is a trial of a running sweep with early termination and `metrics.epoch` is a
    /// rung, records its arrival and applies `ASHARule`; a trial that does not continue ends
    /// `cancelled` with `stopped_by = 'asha'` (its checkpoints stay). Returns true when it
    /// stopped the job. A resumed trial that reaches a rung again keeps its first decision.
    func applyRungCheck(job: JobRecord, metrics: EpochMetrics, in db: PostgresConnection) throws -> Bool {
        guard
            let trialRow = try db.queryOne(
                "SELECT sweep_id, trial FROM sweep_trials WHERE job_id = $1", [job.id])
        else { return false }
        let sweep: String = try trialRow.get("sweep_id")
        let trial: Int = try trialRow.get("trial")
        // The lock is taken before the status is trusted: a cancel committed meanwhile is seen
        // here (READ COMMITTED checks the WHERE again on the newest row version after a wait).
        guard
            let row = try db.queryOne(
                """
                SELECT metric, goal, asha_min_epochs AS min_epochs, asha_reduction_factor AS factor FROM sweeps
                WHERE id = $1 AND status = 'running' AND asha_min_epochs IS NOT NULL FOR UPDATE
                """, [sweep])
        else { return false }
        let rule = ASHARule(
            minEpochs: try row.get("min_epochs"), reductionFactor: try row.get("factor"),
            maximize: try row.get("goal") as String == SweepRequest.Goal.maximize.rawValue)
        guard rule.isRung(metrics.epoch, epochs: job.config.epochs) else { return false }
        let continues: Bool
        if let decided = try db.queryOne(
            "SELECT continues FROM sweep_rungs WHERE sweep_id = $1 AND rung = $2 AND trial = $3",
            [sweep, metrics.epoch, trial])
        {
            continues = try decided.get("continues")
        } else {
            let earlier: [Double?] = try db.query(
                "SELECT metric FROM sweep_rungs WHERE sweep_id = $1 AND rung = $2 ORDER BY arrival",
                [sweep, metrics.epoch]
            ).map { try $0.get("metric") }
            let value = SQLiteServiceStore.metric(try row.get("metric"), of: metrics)
            continues = rule.continues(metric: value, earlier: earlier)
            try db.execute(
                """
                INSERT INTO sweep_rungs(sweep_id, rung, trial, metric, continues, arrival) VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [sweep, metrics.epoch, trial, value, continues, earlier.count])
        }
        guard !continues else { return false }
        try db.execute(
            """
            UPDATE jobs SET status = 'cancelled', finished_at = $1, stopped_by = 'asha', lease_owner = NULL,
              lease_expires_at = NULL
            WHERE id = $2 AND status = 'running'
            """,
            [Identifiers.now(), job.id])
        // The model's `training` flag follows its job's state.
        try modelsChanged(in: db)
        return true
    }
}
