import Foundation
import PostgresStore
import Synchronization
import XCTest

private struct Refused: Error {}

/// Against a real server (skipped without NN_TEST_DATABASE_URL).
final class PostgresTransactionTests: XCTestCase {
    private func count(_ database: PostgresDatabase, _ table: String = "t") throws -> Int {
        try database.withConnection { try $0.queryOne("SELECT COUNT(*) AS n FROM \(table)")!.get("n") }
    }

    func testCommitRollbackAndSavepoints() throws {
        let database = try makeIsolatedDatabase()
        try database.withConnection { try $0.execute("CREATE TABLE t(x INT UNIQUE)") }
        try database.transaction { db in try db.execute("INSERT INTO t VALUES (1)") }
        XCTAssertThrowsError(
            try database.transaction { db in
                try db.execute("INSERT INTO t VALUES (2)")
                throw Refused()
            })
        XCTAssertEqual(try count(database), 1)
        try database.transaction { db in
            try db.execute("INSERT INTO t VALUES (3)")
            // The inner failure (a duplicate) undoes only the savepoint's work.
            XCTAssertThrowsError(
                try db.inTransaction {
                    try db.execute("INSERT INTO t VALUES (4)")
                    try db.execute("INSERT INTO t VALUES (1)")
                })
            try db.execute("INSERT INTO t VALUES (5)")
        }
        let values = try database.withConnection { db in
            try db.query("SELECT x FROM t ORDER BY x").map { try $0.get("x") as Int }
        }
        XCTAssertEqual(values, [1, 3, 5])
    }

    /// A failed statement whose error the body swallowed would make COMMIT a silent rollback.
    func testSwallowedFailureIsNotReportedAsCommitted() throws {
        let database = try makeIsolatedDatabase()
        try database.withConnection { try $0.execute("CREATE TABLE t(x INT UNIQUE)") }
        let error = expectPostgresError {
            try database.transaction { db in
                try db.execute("INSERT INTO t VALUES (1)")
                _ = try? db.execute("INSERT INTO t VALUES (1)")
            }
        }
        XCTAssertTrue(error?.message.contains("rolled back") ?? false)
        XCTAssertEqual(try count(database), 0)
    }

    /// Eight threads increment one counter 20 times each in SERIALIZABLE transactions; losers
    /// of a conflict get SQLSTATE 40001 and are run again, so no increment is lost.
    func testSerializationFailuresAreRetried() throws {
        let database = try makeIsolatedDatabase(maximumConnections: 8)
        try database.withConnection { db in
            try db.executeScript("CREATE TABLE c(n INT NOT NULL); INSERT INTO c VALUES (0);")
        }
        let attempts = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<20 {
                do {
                    try database.transaction(.serializable, attempts: 50) { db in
                        attempts.add(1, ordering: .relaxed)
                        let n: Int = try db.queryOne("SELECT n FROM c")!.get("n")
                        try db.execute("UPDATE c SET n = $1", [n + 1])
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(try database.withConnection { try $0.queryOne("SELECT n FROM c")!.get("n") as Int }, 160)
        XCTAssertGreaterThan(attempts.load(ordering: .relaxed), 160, "no conflict happened, so nothing was retried")
    }

    /// A pool of one: a nested call on the same thread reuses the connection instead of
    /// waiting for itself, and joins the open transaction.
    func testNestedCallsReuseTheThreadsConnection() throws {
        let database = try makeIsolatedDatabase(maximumConnections: 1)
        try database.withConnection { try $0.execute("CREATE TABLE t(x INT)") }
        XCTAssertThrowsError(
            try database.transaction { outer in
                try outer.execute("INSERT INTO t VALUES (1)")
                try database.withConnection { inner in
                    XCTAssertEqual(inner.backendPID, outer.backendPID)
                    XCTAssertEqual(try inner.queryOne("SELECT COUNT(*) AS n FROM t")!.get("n") as Int, 1)
                }
                throw Refused()
            })
        XCTAssertEqual(try count(database), 0)
    }

    func testBusyPoolTimesOut() throws {
        let url = try makeIsolatedURL()
        let database = try PostgresDatabase(url: url, maximumConnections: 1, checkoutTimeout: 0.2)
        defer { database.close() }
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? database.withConnection { _ in
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        let error = expectPostgresError { try database.withConnection { _ in } }
        release.signal()
        XCTAssertTrue(error?.message.contains("stayed busy") ?? false)
    }

    /// A connection the server ended is dropped, and the next transaction gets a new one.
    func testBrokenConnectionIsReplaced() throws {
        let database = try makeIsolatedDatabase(maximumConnections: 1)
        let pid = try database.withConnection { $0.backendPID }
        let admin = try PostgresConnection(url: try testServerURL())
        try admin.execute("SELECT pg_terminate_backend($1::int)", [pid])
        for _ in 0..<100 where try admin.queryOne("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int", [pid]) != nil {
            Thread.sleep(forTimeInterval: 0.02)
        }
        // The transaction notices the broken connection and runs again on a fresh one.
        let newPID = try database.transaction { $0.backendPID }
        XCTAssertNotEqual(newPID, pid)
    }

    /// When the server ends every connection (a restart), the first caller to meet a broken one
    /// makes the pool drop its idle ones too, so the caller's retry gets a fresh connection.
    func testOneBrokenConnectionRetiresTheIdleOnes() throws {
        let database = try makeIsolatedDatabase(maximumConnections: 3)
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let pids = Mutex<[Int]>([])
        for _ in 0..<3 {
            DispatchQueue.global().async(group: group) {
                try? database.withConnection { connection in
                    pids.withLock { $0.append(connection.backendPID) }
                    holding.signal()
                    release.wait()
                }
            }
        }
        for _ in 0..<3 { holding.wait() }
        for _ in 0..<3 { release.signal() }
        group.wait()
        let admin = try PostgresConnection(url: try testServerURL())
        for pid in pids.withLock({ $0 }) {
            try admin.execute("SELECT pg_terminate_backend($1::int)", [pid])
            for _ in 0..<100
            where try admin.queryOne("SELECT 1 AS found FROM pg_stat_activity WHERE pid = $1::int", [pid]) != nil {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        XCTAssertThrowsError(try database.withConnection { try $0.execute("SELECT 1") }, "the first meets a broken one")
        XCTAssertNoThrow(try database.withConnection { try $0.execute("SELECT 1") }, "the retry gets a fresh one")
    }
}
