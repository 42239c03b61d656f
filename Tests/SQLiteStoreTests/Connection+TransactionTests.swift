import Foundation
import SQLiteStore
import XCTest

private struct Abort: Error {}

final class ConnectionTransactionTests: XCTestCase {
    private var database: Database!

    override func setUpWithError() throws {
        database = try Database(path: try makeDatabasePath())
        try database.write { try $0.execute("CREATE TABLE t(x INTEGER UNIQUE)") }
    }

    private func values() throws -> [Int] {
        try database.read { try $0.query("SELECT x FROM t ORDER BY x").map { try $0.get("x") } }
    }

    func testCommitKeepsAllChangesAndReturnsTheResult() throws {
        let result = try database.inTransaction { db -> Int in
            XCTAssertTrue(db.isInTransaction)
            try db.execute("INSERT INTO t VALUES (1)")
            try db.execute("INSERT INTO t VALUES (2)")
            return 7
        }
        XCTAssertEqual(result, 7)
        XCTAssertEqual(try values(), [1, 2])
        XCTAssertFalse(try database.read { $0.isInTransaction })
    }

    func testThrowingBodyRollsBackEverythingAndRethrows() throws {
        XCTAssertThrowsError(
            try database.inTransaction { db in
                try db.execute("INSERT INTO t VALUES (1)")
                try db.execute("INSERT INTO t VALUES (2)")
                throw Abort()
            }
        ) { XCTAssertTrue($0 is Abort) }
        XCTAssertEqual(try values(), [])
        XCTAssertFalse(try database.read { $0.isInTransaction })
    }

    func testDatabaseErrorInsideRollsBackEarlierStatements() throws {
        let error = expectDatabaseError {
            try database.inTransaction { db in
                try db.execute("INSERT INTO t VALUES (1)")
                try db.execute("INSERT INTO t VALUES (1)")
            }
        }
        XCTAssertEqual(error?.isUniqueViolation, true)
        XCTAssertEqual(try values(), [])
    }

    func testNestedTransactionIsASavepointThatRollsBackAlone() throws {
        try database.write { db in
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (1)")
                XCTAssertThrowsError(
                    try db.inTransaction {
                        try db.execute("INSERT INTO t VALUES (2)")
                        throw Abort()
                    })
                try db.inTransaction { try db.execute("INSERT INTO t VALUES (3)") }
                XCTAssertTrue(db.isInTransaction)
            }
        }
        XCTAssertEqual(try values(), [1, 3])
    }

    func testOuterRollbackUndoesCommittedSavepoints() throws {
        XCTAssertThrowsError(
            try database.inTransaction { db in
                try db.inTransaction { try db.execute("INSERT INTO t VALUES (1)") }
                throw Abort()
            })
        XCTAssertEqual(try values(), [])
    }

    func testOtherConnectionSeesNothingUntilCommit() throws {
        let other = try Database(path: database.path)
        try database.inTransaction { db in
            try db.execute("INSERT INTO t VALUES (1)")
            XCTAssertEqual(try other.read { try $0.query("SELECT x FROM t") }.count, 0)
        }
        XCTAssertEqual(try other.read { try $0.query("SELECT x FROM t") }.count, 1)
    }

    func testTransactionInsideAManualBeginUsesASavepoint() throws {
        try database.write { db in
            try db.execute("BEGIN")
            XCTAssertThrowsError(
                try db.inTransaction {
                    try db.execute("INSERT INTO t VALUES (5)")
                    throw Abort()
                })
            try db.execute("INSERT INTO t VALUES (6)")
            try db.execute("COMMIT")
        }
        XCTAssertEqual(try values(), [6])
    }
}
