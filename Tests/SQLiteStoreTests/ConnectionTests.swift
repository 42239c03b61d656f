import Foundation
import SQLiteStore
import XCTest

final class ConnectionTests: XCTestCase {
    private var database: Database!

    override func setUpWithError() throws {
        database = try Database.inMemory()
        try database.write { try $0.execute("CREATE TABLE v(id INTEGER PRIMARY KEY, x)") }
    }

    func testExecuteRefusesSeveralStatementsButScriptRunsThem() throws {
        try database.write { db in
            let error = expectDatabaseError { try db.execute("CREATE TABLE a(x); DROP TABLE v") }
            XCTAssertEqual(error?.primaryCode, 21)  // SQLITE_MISUSE
            XCTAssertNotNil(try db.queryOne("SELECT * FROM sqlite_master WHERE name = 'v'"))
            try db.execute("SELECT 1; -- a trailing comment is not a statement")
            try db.executeScript(
                """
                CREATE TABLE a(x);
                INSERT INTO a VALUES (1);
                INSERT INTO a VALUES (2); -- done
                """)
            XCTAssertEqual(try db.query("SELECT x FROM a").count, 2)
            let bad = expectDatabaseError {
                try db.executeScript("INSERT INTO a VALUES (3); INSERT INTO nope VALUES (1)")
            }
            XCTAssertTrue(bad?.message.contains("no such table: nope") ?? false, "\(String(describing: bad))")
        }
    }

    func testBadSQLGivesAnErrorWithMessageAndSQL() throws {
        try database.write { db in
            let syntax = expectDatabaseError { _ = try db.query("SELEC 1") }
            XCTAssertEqual(syntax?.primaryCode, 1)  // SQLITE_ERROR
            XCTAssertTrue(syntax?.message.contains("syntax error") ?? false)
            XCTAssertEqual(syntax?.sql, "SELEC 1")
            XCTAssertTrue(syntax?.description.contains("SELEC 1") ?? false)
            let table = expectDatabaseError { try db.execute("INSERT INTO missing VALUES (1)") }
            XCTAssertTrue(table?.message.contains("no such table: missing") ?? false)
            XCTAssertEqual(expectDatabaseError { _ = try db.makeStatement("   ") }?.primaryCode, 21)
        }
    }

    func testQueryOneDoesNotKeepAReadSnapshotOpen() throws {
        let path = try makeDatabasePath()
        let reader = try Database(path: path)
        let other = try Database(path: path, options: .init(busyTimeoutMilliseconds: 50))
        try reader.write { db in
            try db.execute("CREATE TABLE t(x)")
            for i in 0..<10 { try db.execute("INSERT INTO t VALUES (?)", [i]) }
        }
        // Stops after the first of ten rows; the cached statement must be reset so that
        // it holds no read transaction that would block a TRUNCATE checkpoint.
        XCTAssertEqual(try reader.read { try $0.queryOne("SELECT x FROM t ORDER BY x")?.get("x") as Int? }, 0)
        XCTAssertNoThrow(try other.checkpoint())
    }

    func testManyDistinctStatementsOutgrowTheCacheSafely() throws {
        try database.write { db in
            for i in 0..<200 {
                try db.execute("INSERT INTO v(id, x) VALUES (?, \(i % 100))", [i])
            }
            XCTAssertEqual(try db.queryOne("SELECT count(*) FROM v")?.get(at: 0) as Int?, 200)
            XCTAssertEqual(try db.query("SELECT id FROM v WHERE x = ?", [7]).count, 2)
        }
    }

    func testLastInsertRowIDAndChanges() throws {
        try database.write { db in
            try db.execute("INSERT INTO v(x) VALUES ('a')")
            try db.execute("INSERT INTO v(x) VALUES ('b')")
            XCTAssertEqual(db.lastInsertRowID, 2)
            XCTAssertEqual(db.changes, 1)
            try db.execute("UPDATE v SET x = 'c'")
            XCTAssertEqual(db.changes, 2)
            try db.execute("DELETE FROM v WHERE id = ?", [99])
            XCTAssertEqual(db.changes, 0)
        }
    }
}
