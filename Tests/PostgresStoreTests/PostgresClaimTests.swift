import Foundation
import PostgresStore
import Synchronization
import XCTest

/// The job-claim query pattern under contention, against a real server (skipped without
/// NN_TEST_DATABASE_URL): `SELECT … FOR UPDATE SKIP LOCKED` lets each claimer pass over rows
/// another transaction holds (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
final class PostgresClaimTests: XCTestCase {
    func testRacingClaimersTakeEachRowExactlyOnce() throws {
        let database = try makeIsolatedDatabase(maximumConnections: 4)
        try database.withConnection { db in
            try db.executeScript(
                """
                CREATE TABLE jobs(seq BIGSERIAL PRIMARY KEY, status TEXT NOT NULL DEFAULT 'queued', claimed_by INT,
                  claims INT NOT NULL DEFAULT 0);
                INSERT INTO jobs(status) SELECT 'queued' FROM generate_series(1, 200);
                """)
        }
        let claimed = Mutex<[Int: [Int64]]>([:])
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            while true {
                do {
                    let seq = try database.transaction { db -> Int64? in
                        guard
                            let row = try db.queryOne(
                                "SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED"
                            )
                        else { return nil }
                        let seq: Int64 = try row.get("seq")
                        try db.execute(
                            "UPDATE jobs SET status = 'running', claimed_by = $1, claims = claims + 1 WHERE seq = $2",
                            [worker, seq])
                        return seq
                    }
                    guard let seq else { return }
                    claimed.withLock { $0[worker, default: []].append(seq) }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                    return
                }
            }
        }
        XCTAssertEqual(errors.withLock { $0 }, [])
        let all = claimed.withLock { $0.values.flatMap { $0 } }
        XCTAssertEqual(all.count, 200)
        XCTAssertEqual(Set(all).count, 200)
        let counts = try database.withConnection { db in
            try db.queryOne("SELECT COUNT(*) FILTER (WHERE claims = 1) AS once, MAX(claims) AS most FROM jobs")!
        }
        XCTAssertEqual(try counts.get("once") as Int, 200)
        XCTAssertEqual(try counts.get("most") as Int, 1)
    }
}
