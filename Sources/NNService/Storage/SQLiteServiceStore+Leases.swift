import Foundation
import SQLiteStore

/// Claims and leases: a worker takes the oldest queued job and holds it by a lease it renews;
/// a job whose lease lapsed, or whose owner is known dead, goes back to the queue.
extension SQLiteServiceStore {
    /// `005_job_leases`: who holds a running job and until when (Unix seconds). The index
    /// serves both the claim (oldest queued) and the search for lapsed leases.
    static func registerLeaseMigration(_ migrator: inout Migrator) {
        migrator.register("005_job_leases") { db in
            try db.executeScript(
                """
                ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
                ALTER TABLE jobs ADD COLUMN lease_expires_at REAL;
                CREATE INDEX jobs_lease ON jobs(status, lease_expires_at);
                """)
        }
    }

    static var clock: Double { Date().timeIntervalSince1970 }

    /// One statement in an IMMEDIATE transaction (`inTransaction` begins with BEGIN IMMEDIATE,
    /// which takes the write lock first: https://www.sqlite.org/lang_transaction.html), so two
    /// claimers in any processes serialize and never get the same row. `RETURNING`
    /// (https://www.sqlite.org/lang_returning.html) names the row this claim changed.
    public func claimNextJob(owner: String, leaseSeconds: Double) throws -> JobRecord? {
        // Idle workers ask often: a read answers "nothing queued" without the write lock.
        guard try read({ try $0.queryOne("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1") }) != nil else {
            return nil
        }
        return try inTransaction { db -> JobRecord? in
            guard
                let claimed = try db.queryOne(
                    """
                    UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, ?), finished_at = NULL,
                      attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?
                    WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1)
                    RETURNING id
                    """, [Identifiers.now(), owner, Self.clock + leaseSeconds])
            else { return nil }
            let id: String = try claimed.get("id")
            return try db.queryOne("SELECT \(Self.jobColumns) FROM jobs WHERE id = ?", [id]).map(jobRecord)
        }
    }

    public func renewLease(job id: String, owner: String, leaseSeconds: Double) throws -> Bool {
        try inTransaction { db in
            try db.execute(
                "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                [Self.clock + leaseSeconds, id, owner])
            return db.changes == 1
        }
    }

    /// Whether `owner` holds the job's lease, unexpired, and the job still runs; for writes
    /// that must happen only under the lease, inside their transaction.
    static func holdsLease(job id: String, owner: String, in db: Connection) throws -> Bool {
        try db.queryOne(
            "SELECT 1 FROM jobs WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_at > ?",
            [id, owner, clock]) != nil
    }

    public func requeueAbandonedJobs(_ which: AbandonedJobs) throws -> (requeued: [String], crashed: [String]) {
        let condition: String
        let arguments: StatementArguments
        switch which {
        case .all:
            (condition, arguments) = ("status = 'running'", [])
        case .leaseLapsed:
            (condition, arguments) = (
                "status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)", [Self.clock]
            )
        case .ownedBy(let owner):
            (condition, arguments) = ("status = 'running' AND lease_owner = ?", [owner])
        }
        let select = "SELECT id, crashes FROM jobs WHERE \(condition) ORDER BY seq"
        // Every worker looks for lapsed leases between jobs: a read finds none without the write lock.
        guard try read({ try $0.queryOne(select + " LIMIT 1", arguments) }) != nil else { return ([], []) }
        return try inTransaction { db in
            let rows = try db.query(select, arguments)
            var requeued: [String] = []
            var crashed: [String] = []
            let error = JobRecord.JobError(
                code: "crashed",
                message:
                    "the process training this job died \(JobRecord.maxCrashes) times while it ran; it was not resumed again (check the memory limit and the job's size)"
            )
            for row in rows {
                let id: String = try row.get("id")
                if try row.get("crashes") as Int + 1 >= JobRecord.maxCrashes {
                    try db.execute(
                        """
                        UPDATE jobs SET crashes = crashes + 1, status = 'failed', finished_at = ?, error = ?,
                          lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ?
                        """, [Identifiers.now(), StoredJSON.encode(error), id])
                    crashed.append(id)
                } else {
                    try db.execute(
                        """
                        UPDATE jobs SET crashes = crashes + 1, status = 'queued', lease_owner = NULL, lease_expires_at = NULL
                        WHERE id = ?
                        """, [id])
                    requeued.append(id)
                }
            }
            return (requeued, crashed)
        }
    }
}
