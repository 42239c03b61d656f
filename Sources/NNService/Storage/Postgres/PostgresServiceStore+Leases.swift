import Foundation
import PostgresStore

/// Claims and leases over PostgreSQL. Lease times come from the server's clock (`now()`, the
/// transaction's start: https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-CURRENT),
/// so workers on machines whose clocks disagree still agree on who holds what.
extension PostgresServiceStore {
    /// One statement: the inner SELECT locks the oldest queued job that no other claimer has
    /// locked (`FOR UPDATE SKIP LOCKED` passes over rows another transaction holds instead of
    /// waiting for them, https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE),
    /// and the UPDATE makes it this worker's. Two claimers can never take one job, and neither
    /// waits for the other.
    public func claimNextJob(owner: String, leaseSeconds: Double) throws -> JobRecord? {
        try inTransaction { db -> JobRecord? in
            let claimed = try db.queryOne(
                """
                UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, $1), finished_at = NULL,
                  attempts = attempts + 1, lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3)
                WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.jobColumns)
                """, [Identifiers.now(), owner, leaseSeconds])
            if claimed != nil { try modelsChanged(in: db) }
            return try claimed.map(jobRecord)
        }
    }

    public func renewLease(job id: String, owner: String, leaseSeconds: Double) throws -> Bool {
        try inTransaction { db in
            try db.execute(
                """
                UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $1)
                WHERE id = $2 AND status = 'running' AND lease_owner = $3
                """, [leaseSeconds, id, owner]
            ).affectedRows == 1
        }
    }

    /// Whether `owner` holds the job's unexpired lease and the job runs, locking the job's row
    /// until the transaction ends: a cancel or a requeue waits for the write it guards.
    static func holdsLease(job id: String, owner: String, in db: PostgresConnection) throws -> Bool {
        try db.queryOne(
            """
            SELECT 1 AS held FROM jobs
            WHERE id = $1 AND status = 'running' AND lease_owner = $2 AND lease_expires_at > now() FOR UPDATE
            """, [id, owner]) != nil
    }

    /// Takes back running jobs whose worker is gone. In a shared database no process owns every
    /// running job, so `.all` takes back only those whose lease lapsed (their worker stopped
    /// renewing), exactly as `.leaseLapsed` does. Rows another process is changing right now are
    /// skipped; they are not abandoned.
    public func requeueAbandonedJobs(_ which: AbandonedJobs) throws -> (requeued: [String], crashed: [String]) {
        let condition: String
        let arguments: PostgresArguments
        switch which {
        case .all, .leaseLapsed:
            (condition, arguments) = ("(lease_expires_at IS NULL OR lease_expires_at <= now())", [])
        case .ownedBy(let owner):
            (condition, arguments) = ("lease_owner = $1", [owner])
        }
        let error = JobRecord.JobError(
            code: "crashed",
            message:
                "the process training this job died \(JobRecord.maxCrashes) times while it ran; it was not resumed again (check the memory limit and the job's size)"
        )
        return try inTransaction { db in
            let rows = try db.query(
                "SELECT id, crashes FROM jobs WHERE status = 'running' AND \(condition) ORDER BY seq FOR UPDATE SKIP LOCKED",
                arguments)
            var requeued: [String] = []
            var crashed: [String] = []
            for row in rows {
                let id: String = try row.get("id")
                if try row.get("crashes") as Int + 1 >= JobRecord.maxCrashes {
                    try db.execute(
                        """
                        UPDATE jobs SET crashes = crashes + 1, status = 'failed', finished_at = $1, error = $2,
                          lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = $3
                        """, [Identifiers.now(), StoredJSON.encode(error), id])
                    crashed.append(id)
                } else {
                    try db.execute(
                        """
                        UPDATE jobs SET crashes = crashes + 1, status = 'queued', lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = $1
                        """, [id])
                    requeued.append(id)
                }
            }
            if !rows.isEmpty { try modelsChanged(in: db) }
            return (requeued, crashed)
        }
    }
}
