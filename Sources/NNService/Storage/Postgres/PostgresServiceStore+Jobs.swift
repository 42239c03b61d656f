import Foundation
import NNCore
import PostgresStore

extension PostgresServiceStore {
    static let jobColumns = """
        id, model_id, dataset_id, validation_dataset_id, config, status, epoch, base_epoch, latest, error,
        stopped_early, created_at, started_at, finished_at, attempts, crashes, name, tags, stopped_by
        """

    /// The SQL of each of the jobs' sort fields; metrics are read from the latest epoch's JSON
    /// (https://www.postgresql.org/docs/current/functions-json.html, `->>`).
    static let jobSortExpressions =
        ["created_at": "jobs.seq", "name": "jobs.name COLLATE \"C\""]
        .merging(
            ["loss", "val_loss", "accuracy", "val_accuracy"].map { ($0, "(jobs.latest::jsonb ->> '\($0)')::float8") }
        ) {
            $1
        }

    func jobRecord(_ row: PostgresRow) throws -> JobRecord {
        let latest: String? = try row.get("latest")
        let error: String? = try row.get("error")
        return JobRecord(
            id: try row.get("id"), modelID: try row.get("model_id"), datasetID: try row.get("dataset_id"),
            validationDatasetID: try row.get("validation_dataset_id"),
            config: try StoredJSON.decode(TrainingConfig.self, try row.get("config")),
            status: JobStatus(rawValue: try row.get("status")) ?? .failed,
            epoch: try row.get("epoch"), baseEpoch: try row.get("base_epoch"),
            latest: try latest.map { try StoredJSON.decode(EpochMetrics.self, $0) },
            error: try error.map { try StoredJSON.decode(JobRecord.JobError.self, $0) },
            stoppedEarly: try row.get("stopped_early"), createdAt: try row.get("created_at"),
            startedAt: try row.get("started_at"), finishedAt: try row.get("finished_at"),
            attempts: try row.get("attempts"), crashes: try row.get("crashes"), labels: try Self.labels(row),
            stoppedBy: try row.get("stopped_by"))
    }

    /// Creates the job, and its model when the spec is inline.
    public func insertJob(
        newModel: ModelSpec?, modelID: String?, datasetID: String, config: TrainingConfig, labels: Labels
    ) throws -> JobRecord {
        let id = try inTransaction { db in
            try insertJob(
                newModel: newModel, modelID: modelID, datasetID: datasetID, config: config, labels: labels, in: db)
        }
        return try job(id)!
    }

    /// `insertJob` inside a caller's transaction (a sweep launches a trial and links it in one);
    /// returns the new job's id. An existing model's row is locked first, so two submissions for
    /// one model cannot both see it idle.
    func insertJob(
        newModel: ModelSpec?, modelID: String?, datasetID: String, config: TrainingConfig, labels: Labels,
        in db: PostgresConnection
    ) throws -> String {
        let id = Identifiers.make("job")
        let model: String
        var baseEpoch = 0
        if let newModel {
            model = try insertModel(newModel, labels: labels, in: db)
        } else {
            model = modelID!
            guard
                let row = try db.queryOne("SELECT epochs_trained FROM models WHERE id = $1 FOR UPDATE", [model])
            else {
                throw StorageError.invalidReference(
                    "no model has the id '\(model)'", path: "model_id", code: "unknown_model")
            }
            baseEpoch = try row.get("epochs_trained")
            if try db.queryOne(
                "SELECT 1 AS found FROM jobs WHERE model_id = $1 AND status IN ('queued', 'running')", [model])
                != nil
            {
                throw StorageError.conflict(
                    "model \(model) already has a queued or running job; wait for it or cancel it")
            }
        }
        try db.execute(
            """
            INSERT INTO jobs(id, model_id, dataset_id, validation_dataset_id, config, status, epochs, base_epoch,
              created_at, name, tags)
            VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9, $10)
            """,
            [
                id, model, datasetID, config.validationDataset, StoredJSON.encode(config), config.epochs, baseEpoch,
                Identifiers.now(), labels.name, StoredJSON.encode(labels.tags),
            ])
        // A model with a queued job reads as training.
        try modelsChanged(in: db)
        return id
    }

    public func job(_ id: String) throws -> JobRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [id]).map(jobRecord)
        }
    }

    public func jobs(status: JobStatus?, query: ListQuery) throws -> (items: [JobRecord], next: String?) {
        try listPage(
            .jobs, columns: Self.jobColumns, sortExpressions: Self.jobSortExpressions, query: query,
            filter: status.map { ("jobs.status = $?", $0.rawValue) }, decode: jobRecord, id: \.id)
    }

    public func jobCounts() throws -> [JobStatus: Int] {
        try read { db in
            var counts: [JobStatus: Int] = [:]
            for row in try db.query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let status = JobStatus(rawValue: try row.get("status")) { counts[status] = try row.get("n") }
            }
            return counts
        }
    }

    /// Applies a state-machine event under the job row's lock; with `owner`, only while that
    /// worker holds the lease. Ending or requeueing a job clears its lease.
    @discardableResult
    public func transition(
        _ id: String, _ event: JobStatus.Event, owner: String?, error: JobRecord.JobError?, stoppedEarly: Bool
    ) throws -> JobRecord? {
        try inTransaction { db -> JobRecord? in
            guard
                let row = try db.queryOne(
                    "SELECT \(Self.jobColumns), lease_owner FROM jobs WHERE id = $1 FOR UPDATE", [id])
            else { return nil }
            if let owner, try row.get("lease_owner") as String? != owner { return nil }
            var job = try jobRecord(row)
            guard let next = job.status.after(event) else { return nil }
            let now = Identifiers.now()
            job.status = next
            if next == .running { job.startedAt = job.startedAt ?? now }
            if next.hasEnded { job.finishedAt = now }
            if next == .queued { job.finishedAt = nil }
            let keepsLease = next == .running
            try db.execute(
                """
                UPDATE jobs SET status = $1, started_at = $2, finished_at = $3, error = COALESCE($4, error),
                  stopped_early = $5, attempts = attempts + $6,
                  lease_owner = CASE WHEN $7 THEN lease_owner END,
                  lease_expires_at = CASE WHEN $7 THEN lease_expires_at END
                WHERE id = $8
                """,
                [
                    next.rawValue, job.startedAt, job.finishedAt, error.map(StoredJSON.encode), stoppedEarly,
                    next == .running ? 1 : 0, keepsLease, id,
                ])
            // The model's `training` flag follows its job's state.
            try modelsChanged(in: db)
            return try db.queryOne("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [id]).map(jobRecord)
        }
    }
}
