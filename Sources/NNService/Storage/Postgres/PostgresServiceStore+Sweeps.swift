import Foundation
import NNCore
import PostgresStore

/// Sweeps over PostgreSQL, as `SQLiteServiceStore+Sweeps.swift` keeps them (same rows, ids,
/// ordering and JSON text). Several API processes run their sweep controllers against one
/// database, so a launch locks the sweep's row first (`SELECT … FOR UPDATE`,
/// https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS): launchers of
/// one sweep take turns, and each sees the trials the previous one launched (at READ COMMITTED
/// every statement reads what was committed before it began,
/// https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED).
extension PostgresServiceStore: SweepStorage {
    private static let sweepColumns = """
        id, name, job, parameters, search, trial_count, parallel, metric, goal, asha_min_epochs,
        asha_reduction_factor, seed, status, created_at, finished_at
        """

    private func sweepRecord(_ row: PostgresRow) throws -> SweepRecord {
        let minEpochs: Int? = try row.get("asha_min_epochs")
        let factor: Int? = try row.get("asha_reduction_factor")
        return SweepRecord(
            id: try row.get("id"), name: try row.get("name"),
            job: try JSONParser.parse(Array((try row.get("job") as String).utf8)),
            parameters: try JSONParser.parse(Array((try row.get("parameters") as String).utf8)),
            search: SweepRequest.Search(rawValue: try row.get("search")) ?? .random,
            trialCount: try row.get("trial_count"), parallel: try row.get("parallel"), metric: try row.get("metric"),
            goal: SweepRequest.Goal(rawValue: try row.get("goal")) ?? .minimize,
            earlyTermination: minEpochs.flatMap { min in
                factor.map { SweepRequest.EarlyTermination(minEpochs: min, reductionFactor: $0) }
            },
            seed: UInt64(try row.get("seed") as Int),
            status: SweepRecord.Status(rawValue: try row.get("status")) ?? .failed,
            createdAt: try row.get("created_at"), finishedAt: try row.get("finished_at"))
    }

    /// Stores a sweep and all its trials' parameters in one transaction, committed before the 202.
    func insertSweep(
        _ request: SweepRequest, metric: String, goal: SweepRequest.Goal, trials: [JSONValue]
    ) throws -> SweepRecord {
        let id = Identifiers.make("sw")
        let job = try SQLiteServiceStore.text(request.job)
        let parameters = try SQLiteServiceStore.text(request.parametersJSON)
        let params = try trials.map(SQLiteServiceStore.text)
        try inTransaction { db in
            try db.execute(
                """
                INSERT INTO sweeps(id, name, job, parameters, search, trial_count, parallel, metric, goal,
                  asha_min_epochs, asha_reduction_factor, seed, status, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'running', $13)
                """,
                [
                    id, request.name, job, parameters, request.search.rawValue, trials.count, request.parallel, metric,
                    goal.rawValue, request.earlyTermination?.minEpochs, request.earlyTermination?.reductionFactor,
                    Int(request.seed), Identifiers.now(),
                ])
            for (index, text) in params.enumerated() {
                try db.execute(
                    "INSERT INTO sweep_trials(sweep_id, trial, params) VALUES ($1, $2, $3)", [id, index, text])
            }
        }
        return try sweep(id)!
    }

    func sweep(_ id: String) throws -> SweepRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.sweepColumns) FROM sweeps WHERE id = $1", [id]).map(sweepRecord)
        }
    }

    /// A page of sweeps in creation order, after the sweep `after` when given.
    func sweeps(limit: Int, after: String?) throws -> [SweepRecord] {
        try read { db in
            try db.query(
                """
                SELECT \(Self.sweepColumns) FROM sweeps
                WHERE seq > COALESCE((SELECT seq FROM sweeps AS seen WHERE seen.id = $1), 0) ORDER BY seq LIMIT $2
                """, [after ?? "", limit]
            ).map(sweepRecord)
        }
    }

    func runningSweepIDs() throws -> [String] {
        try read { db in
            try db.query("SELECT id FROM sweeps WHERE status = 'running' ORDER BY seq").map { try $0.get("id") }
        }
    }

    /// A sweep's trials in trial order, each with its job when launched, in one query.
    func sweepTrials(_ id: String) throws -> [SweepTrial] {
        let jobColumns = Self.jobColumns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespaces) }
        let rows = try read { db in
            try db.query(
                """
                SELECT t.trial AS trial, t.params AS params, t.job_id AS job_id, t.launch_error AS launch_error,
                  \(jobColumns.joined(separator: ", "))
                FROM sweep_trials t LEFT JOIN jobs j ON j.id = t.job_id WHERE t.sweep_id = $1 ORDER BY t.trial
                """, [id])
        }
        return try rows.map { row in
            let error: String? = try row.get("launch_error")
            let found: String? = try row.get("id")
            return SweepTrial(
                index: try row.get("trial"),
                params: try JSONParser.parse(Array((try row.get("params") as String).utf8)),
                jobID: try row.get("job_id"),
                launchError: try error.map { try StoredJSON.decode(JobRecord.JobError.self, $0) },
                job: found == nil ? nil : try jobRecord(row))
        }
    }

    /// Creates a trial's job (and model) and links it to the trial in one transaction. The
    /// sweep's row is locked before anything is counted, so two API processes launching trials
    /// of one sweep take turns: neither launches a trial twice nor exceeds `parallel`. Nil when
    /// the sweep is no longer running, already has `parallel` trials queued or running, or the
    /// trial was launched already.
    func launchTrial(sweep id: String, trial: Int, job: JobSubmission) throws -> String? {
        try inTransaction { db -> String? in
            guard
                let sweep = try db.queryOne(
                    "SELECT parallel FROM sweeps WHERE id = $1 AND status = 'running' FOR UPDATE", [id]),
                let active = try db.queryOne(
                    """
                    SELECT COUNT(*) AS active FROM sweep_trials t JOIN jobs j ON j.id = t.job_id
                    WHERE t.sweep_id = $1 AND j.status IN ('queued', 'running')
                    """, [id]),
                (try active.get("active") as Int) < (try sweep.get("parallel") as Int),
                try db.queryOne(
                    """
                    SELECT 1 AS open FROM sweep_trials
                    WHERE sweep_id = $1 AND trial = $2 AND job_id IS NULL AND launch_error IS NULL
                    """, [id, trial]) != nil
            else { return nil }
            let jobID = try insertJob(
                newModel: job.newModel, modelID: job.existingModel?.id, datasetID: job.datasetID, config: job.config,
                labels: job.labels, in: db)
            try db.execute(
                "UPDATE sweep_trials SET job_id = $1 WHERE sweep_id = $2 AND trial = $3", [jobID, id, trial])
            return jobID
        }
    }

    /// Records why a trial could not be launched (its data set was deleted since submission).
    func refuseTrial(sweep id: String, trial: Int, error: JobRecord.JobError) throws {
        _ = try inTransaction { db in
            try db.execute(
                "UPDATE sweep_trials SET launch_error = $1 WHERE sweep_id = $2 AND trial = $3 AND job_id IS NULL",
                [StoredJSON.encode(error), id, trial])
        }
    }

    /// Ends a running sweep with `status`; false when it had ended already. The UPDATE's
    /// condition is checked again on the newest row after waiting for a concurrent writer
    /// (READ COMMITTED), so of two racing calls exactly one answers true.
    @discardableResult
    func endSweep(_ id: String, status: SweepRecord.Status) throws -> Bool {
        try inTransaction { db in
            try db.execute(
                "UPDATE sweeps SET status = $1, finished_at = $2 WHERE id = $3 AND status = 'running'",
                [status.rawValue, Identifiers.now(), id]
            ).affectedRows == 1
        }
    }

    /// The first running sweep whose base job names the data set (its later trials need it).
    func runningSweep(using dataset: String, in db: PostgresConnection) throws -> String? {
        for row in try db.query("SELECT id, job FROM sweeps WHERE status = 'running' ORDER BY seq") {
            let job = try JSONParser.parse(Array((try row.get("job") as String).utf8))
            if job["dataset"]?.stringValue == dataset || job["validation"]?["dataset"]?.stringValue == dataset {
                return try row.get("id")
            }
        }
        return nil
    }
}
