import Foundation
import NNCore
import SQLiteStore

/// Sweeps in the store: the sweep with every trial's parameters (fixed at submission), each
/// trial's job once launched, and ASHA's rung records (`ServiceStore+Rungs.swift`). All of a
/// sweep's state is here, so a restarted server continues it.
extension SQLiteServiceStore: SweepStorage {
    static func registerSweepsMigration(_ migrator: inout Migrator) {
        migrator.register("006_sweeps") { db in
            try db.executeScript(
                """
                ALTER TABLE jobs ADD COLUMN stopped_by TEXT;
                CREATE TABLE sweeps(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT,
                  job TEXT NOT NULL, parameters TEXT NOT NULL, search TEXT NOT NULL, trial_count INTEGER NOT NULL,
                  parallel INTEGER NOT NULL, metric TEXT NOT NULL, goal TEXT NOT NULL,
                  asha_min_epochs INTEGER, asha_reduction_factor INTEGER, seed INTEGER NOT NULL,
                  status TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT);
                CREATE INDEX sweeps_status ON sweeps(status, seq);
                CREATE TABLE sweep_trials(
                  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, trial INTEGER NOT NULL,
                  params TEXT NOT NULL, job_id TEXT, launch_error TEXT,
                  PRIMARY KEY(sweep_id, trial));
                CREATE INDEX sweep_trials_job ON sweep_trials(job_id);
                CREATE TABLE sweep_rungs(
                  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE, rung INTEGER NOT NULL,
                  trial INTEGER NOT NULL, metric REAL, continues INTEGER NOT NULL, arrival INTEGER NOT NULL,
                  PRIMARY KEY(sweep_id, rung, trial));
                """)
        }
    }

    private static let sweepColumns = """
        id, name, job, parameters, search, trial_count, parallel, metric, goal, asha_min_epochs,
        asha_reduction_factor, seed, status, created_at, finished_at
        """

    func sweepRecord(_ row: Row) throws -> SweepRecord {
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

    /// Stores a sweep and all its trials' parameters in one transaction, on disk before the 202.
    func insertSweep(
        _ request: SweepRequest, metric: String, goal: SweepRequest.Goal, trials: [JSONValue]
    ) throws -> SweepRecord {
        let id = Identifiers.make("sw")
        try durableTransaction { db in
            try db.execute(
                """
                INSERT INTO sweeps(id, name, job, parameters, search, trial_count, parallel, metric, goal,
                  asha_min_epochs, asha_reduction_factor, seed, status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)
                """,
                [
                    id, request.name, try Self.text(request.job), try Self.text(request.parametersJSON),
                    request.search.rawValue, trials.count, request.parallel, metric, goal.rawValue,
                    request.earlyTermination?.minEpochs, request.earlyTermination?.reductionFactor, Int(request.seed),
                    Identifiers.now(),
                ])
            for (index, params) in trials.enumerated() {
                try db.execute(
                    "INSERT INTO sweep_trials(sweep_id, trial, params) VALUES (?, ?, ?)",
                    [id, index, try Self.text(params)])
            }
        }
        return try sweep(id)!
    }

    static func text(_ value: JSONValue) throws -> String { String(decoding: try value.jsonBytes, as: UTF8.self) }

    func sweep(_ id: String) throws -> SweepRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.sweepColumns) FROM sweeps WHERE id = ?", [id]).map(sweepRecord)
        }
    }

    /// A page of sweeps in creation order, after the sweep `after` when given.
    func sweeps(limit: Int, after: String?) throws -> [SweepRecord] {
        try read { db in
            try db.query(
                """
                SELECT \(Self.sweepColumns) FROM sweeps
                WHERE seq > COALESCE((SELECT seq FROM sweeps AS seen WHERE seen.id = ?), 0) ORDER BY seq LIMIT ?
                """, [after, limit]
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
                FROM sweep_trials t LEFT JOIN jobs j ON j.id = t.job_id WHERE t.sweep_id = ? ORDER BY t.trial
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

    /// Creates a trial's job (and model) and links it to the trial in one transaction, so that
    /// a crash leaves the trial either unlaunched or with its queued job. Nil when the sweep is
    /// no longer running, already has `parallel` trials queued or running, or the trial was
    /// launched already: checked in the transaction (which takes the write lock first), so that
    /// controllers in several API processes never launch a trial twice or exceed `parallel`.
    func launchTrial(sweep id: String, trial: Int, job: JobSubmission) throws -> String? {
        try inTransaction { db -> String? in
            guard
                let sweep = try db.queryOne(
                    """
                    SELECT parallel, (SELECT COUNT(*) FROM sweep_trials t JOIN jobs j ON j.id = t.job_id
                      WHERE t.sweep_id = sweeps.id AND j.status IN ('queued', 'running')) AS active
                    FROM sweeps WHERE id = ? AND status = 'running'
                    """, [id]),
                (try sweep.get("active") as Int) < (try sweep.get("parallel") as Int),
                try db.queryOne(
                    "SELECT 1 FROM sweep_trials WHERE sweep_id = ? AND trial = ? AND job_id IS NULL AND launch_error IS NULL",
                    [id, trial]) != nil
            else { return nil }
            let jobID = try insertJob(
                newModel: job.newModel, modelID: job.existingModel?.id, datasetID: job.datasetID, config: job.config,
                labels: job.labels, in: db)
            try db.execute("UPDATE sweep_trials SET job_id = ? WHERE sweep_id = ? AND trial = ?", [jobID, id, trial])
            return jobID
        }
    }

    /// Records why a trial could not be launched (its data set was deleted since submission).
    func refuseTrial(sweep id: String, trial: Int, error: JobRecord.JobError) throws {
        try inTransaction { db in
            try db.execute(
                "UPDATE sweep_trials SET launch_error = ? WHERE sweep_id = ? AND trial = ? AND job_id IS NULL",
                [StoredJSON.encode(error), id, trial])
        }
    }

    /// Ends a running sweep with `status`; false when it had ended already.
    @discardableResult
    func endSweep(_ id: String, status: SweepRecord.Status) throws -> Bool {
        try durableTransaction { db in
            try db.execute(
                "UPDATE sweeps SET status = ?, finished_at = ? WHERE id = ? AND status = 'running'",
                [status.rawValue, Identifiers.now(), id])
            return db.changes == 1
        }
    }

    /// The first running sweep whose base job names the data set (its later trials need it).
    func runningSweep(using dataset: String, in db: Connection) throws -> String? {
        for row in try db.query("SELECT id, job FROM sweeps WHERE status = 'running' ORDER BY seq") {
            let job = try JSONParser.parse(Array((try row.get("job") as String).utf8))
            if job["dataset"]?.stringValue == dataset || job["validation"]?["dataset"]?.stringValue == dataset {
                return try row.get("id")
            }
        }
        return nil
    }
}
