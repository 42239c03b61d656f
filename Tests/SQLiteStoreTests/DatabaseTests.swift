import Foundation
import SQLiteStore
import XCTest

final class DatabaseTests: XCTestCase {
    private func pragma(_ database: Database, _ name: String) throws -> DatabaseValue? {
        try database.read { try $0.queryOne("PRAGMA \(name)")?[0] }
    }

    func testFileDatabaseIsInWALModeWithNormalSyncForeignKeysAndBusyTimeout() throws {
        let database = try Database(
            path: try makeDatabasePath(),
            options: .init(busyTimeoutMilliseconds: 1234))
        XCTAssertEqual(try pragma(database, "journal_mode"), .text("wal"))
        XCTAssertEqual(try pragma(database, "synchronous"), .integer(1))
        XCTAssertEqual(try pragma(database, "foreign_keys"), .integer(1))
        XCTAssertEqual(try pragma(database, "busy_timeout"), .integer(1234))
        XCTAssertFalse(database.isInMemory)
    }

    func testInMemoryDatabaseAcceptsMemoryJournal() throws {
        let database = try Database.inMemory()
        XCTAssertTrue(database.isInMemory)
        XCTAssertEqual(try pragma(database, "journal_mode"), .text("memory"))
        XCTAssertEqual(try pragma(database, "synchronous"), .integer(1))
        try database.write { try $0.execute("CREATE TABLE t(x)") }
        XCTAssertEqual(try database.read { try $0.query("SELECT * FROM t") }.count, 0)
    }

    func testCreatesParentDirectoryOnlyWhenAsked() throws {
        let root = try makeTemporaryDirectory()
        let path = root.appendingPathComponent("a/b/nnserve.sqlite").path
        let error = expectDatabaseError { _ = try Database(path: path) }
        XCTAssertEqual(error?.primaryCode, 14)  // SQLITE_CANTOPEN
        XCTAssertTrue(error?.message.contains(path) ?? false, "\(String(describing: error))")

        let database = try Database(path: path, options: .init(createParentDirectory: true))
        try database.write { try $0.execute("CREATE TABLE t(x)") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testEmptyPathIsRejected() {
        let error = expectDatabaseError { _ = try Database(path: "") }
        XCTAssertEqual(error?.primaryCode, 14)
    }

    func testOpeningAFileThatIsNotADatabaseThrows() throws {
        let path = try makeDatabasePath()
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = expectDatabaseError { _ = try Database(path: path) }
        XCTAssertEqual(error?.primaryCode, 26)  // SQLITE_NOTADB
    }

    func testDataPersistsAcrossCloseAndReopen() throws {
        let path = try makeDatabasePath()
        let first = try Database(path: path)
        try first.write { db in
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
            try db.execute("INSERT INTO t(name) VALUES (?)", ["kept"])
        }
        try first.close()

        let second = try Database(path: path)
        let names = try second.read { try $0.query("SELECT name FROM t").map { try $0.get("name") as String } }
        XCTAssertEqual(names, ["kept"])
        XCTAssertEqual(try pragma(second, "journal_mode"), .text("wal"))
    }

    func testUseAfterCloseThrowsAndCloseTwiceIsHarmless() throws {
        let database = try Database.inMemory()
        try database.close()
        try database.close()
        let error = expectDatabaseError { try database.read { _ in } }
        XCTAssertEqual(error?.primaryCode, 21)  // SQLITE_MISUSE
        XCTAssertTrue(error?.message.contains("closed") ?? false)
    }

    func testCloseFromInsideAClosureThrowsInsteadOfClosingUnderIt() throws {
        let database = try Database.inMemory()
        let error = expectDatabaseError { try database.write { _ in try database.close() } }
        XCTAssertEqual(error?.primaryCode, 21)
        XCTAssertEqual(try database.read { try $0.queryOne("SELECT 1")?[0] }, .integer(1))
    }

    func testReadClosureRejectsWrites() throws {
        let database = try Database.inMemory()
        try database.write { try $0.execute("CREATE TABLE t(x)") }
        let error = expectDatabaseError { try database.read { try $0.execute("INSERT INTO t VALUES (1)") } }
        XCTAssertEqual(error?.primaryCode, 8)  // SQLITE_READONLY
        try database.write { try $0.execute("INSERT INTO t VALUES (1)") }
        XCTAssertEqual(try database.read { try $0.query("SELECT x FROM t") }.count, 1)
    }

    func testNestedCallsRunInlineAndRestoreWriteAccess() throws {
        let database = try Database.inMemory()
        try database.write { db in
            try db.execute("CREATE TABLE t(x)")
            let count = try database.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.get("n") as Int? }
            XCTAssertEqual(count, 0)
            try db.execute("INSERT INTO t VALUES (1)")  // writable again after the nested read
            try database.write { try $0.execute("INSERT INTO t VALUES (2)") }
        }
        XCTAssertEqual(try database.read { try $0.query("SELECT x FROM t") }.count, 2)
    }

    func testIntegrityCheckReportsOK() throws {
        let database = try Database(path: try makeDatabasePath())
        try database.write { db in
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
            for i in 0..<100 { try db.execute("INSERT INTO t(v) VALUES (?)", ["v\(i)"]) }
        }
        XCTAssertEqual(try database.integrityCheck(), ["ok"])
    }

    func testCheckpointTruncatesTheWriteAheadLog() throws {
        let path = try makeDatabasePath()
        let database = try Database(path: path)
        try database.write { db in
            try db.execute("CREATE TABLE t(v BLOB)")
            try db.execute("INSERT INTO t VALUES (?)", [Data(count: 100_000)])
        }
        let walSize = { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? -1 }
        XCTAssertGreaterThan(walSize(), 0)
        let result = try database.checkpoint()
        XCTAssertEqual(walSize(), 0)
        XCTAssertEqual(result.logFrames, 0)  // the log was truncated after being copied
        XCTAssertEqual(try database.read { try $0.query("SELECT v FROM t") }.count, 1)
    }
}

/// A durable transaction commits with synchronous=FULL and leaves the connection at NORMAL.
final class DurableTransactionTests: XCTestCase {
    func testDurableTransactionSyncsItsCommitOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try Database(
            path: directory.appendingPathComponent("db.sqlite").path, options: .init(createParentDirectory: true))
        try database.write { try $0.execute("CREATE TABLE t(x INTEGER)") }
        XCTAssertEqual(try database.synchronousLevel(), 1)
        let inside = try database.durableTransaction { connection -> Int in
            try connection.execute("INSERT INTO t(x) VALUES (1)")
            return try connection.queryOne("PRAGMA synchronous")!.get(at: 0)
        }
        XCTAssertEqual(inside, 2, "the commit runs at FULL")
        XCTAssertEqual(try database.synchronousLevel(), 1, "back to NORMAL afterwards")
        XCTAssertThrowsError(
            try database.durableTransaction { connection in
                try connection.execute("INSERT INTO t(x) VALUES (2)")
                try connection.execute("INSERT INTO missing VALUES (1)")
            })
        XCTAssertEqual(try database.synchronousLevel(), 1)
        XCTAssertEqual(try database.read { try $0.queryOne("SELECT COUNT(*) FROM t")!.get(at: 0) as Int }, 1)
    }
}
