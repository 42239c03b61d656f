import Foundation
import SQLiteStore
import XCTest

/// Incremental vacuum, a bounded log, and the online backup.
final class DatabaseMaintenanceTests: XCTestCase {
    private func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private func makeDatabase(blobs: Int, bytes: Int = 256 << 10) throws -> Database {
        let database = try Database(path: try makeDatabasePath())
        XCTAssertTrue(try database.enableIncrementalAutoVacuum())
        XCTAssertFalse(try database.enableIncrementalAutoVacuum(), "a second call changes nothing")
        try database.write { db in
            try db.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            for index in 0..<blobs {
                try db.execute(
                    "INSERT INTO blobs(id, data) VALUES (?, ?)", [index, Data(repeating: UInt8(index), count: bytes)])
            }
        }
        return database
    }

    func testDeletedRowsGiveTheirPagesBack() throws {
        let database = try makeDatabase(blobs: 8)
        defer { try? database.close() }
        try database.checkpoint()
        let before = size(database.path)
        XCTAssertGreaterThan(before, 2 << 20)
        try database.write { try $0.execute("DELETE FROM blobs WHERE id < 6") }
        try database.incrementalVacuum()
        let after = size(database.path)
        XCTAssertLessThan(after, before - (1 << 20), "\(before) → \(after)")
        XCTAssertEqual(size(database.path + "-wal"), 0)
        XCTAssertEqual(try database.integrityCheck(), ["ok"])
    }

    func testAFileWithTablesIsConvertedByVacuum() throws {
        let path = try makeDatabasePath()
        let plain = try Database(path: path)
        try plain.write { try $0.execute("CREATE TABLE t(x)") }
        XCTAssertTrue(try plain.enableIncrementalAutoVacuum())
        let mode = try plain.read { try $0.queryOne("PRAGMA auto_vacuum")?.get(at: 0, as: Int.self) }
        XCTAssertEqual(mode, 2)
        try plain.close()
    }

    func testBoundLogTruncatesALargeLogAndLeavesASmallOne() throws {
        let database = try makeDatabase(blobs: 8)
        defer { try? database.close() }
        try database.limitJournalSize(bytes: 1 << 20)
        XCTAssertGreaterThan(size(database.path + "-wal"), 1 << 20)
        database.boundLog()
        XCTAssertEqual(size(database.path + "-wal"), 0)
        try database.write { try $0.execute("INSERT INTO blobs(id, data) VALUES (100, x'00')") }
        let small = size(database.path + "-wal")
        database.boundLog()
        XCTAssertEqual(size(database.path + "-wal"), small, "under 1 MiB the log is left alone")
    }

    func testBackupIsASoundCopyAndLeavesNoPartialFile() throws {
        let database = try makeDatabase(blobs: 4)
        defer { try? database.close() }
        // Another connection on the same file writes while the copy is taken and after it.
        let writer = try Database(path: database.path)
        defer { try? writer.close() }
        try writer.write { try $0.execute("INSERT INTO blobs(id, data) VALUES (50, x'01')") }
        let destination = try makeDatabasePath("copy.sqlite")
        let pages = try database.backup(to: destination)
        XCTAssertGreaterThan(pages, 0)
        try writer.write { try $0.execute("INSERT INTO blobs(id, data) VALUES (51, x'02')") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + ".partial"))
        let copy = try Database(path: destination)
        defer { try? copy.close() }
        XCTAssertEqual(try copy.integrityCheck(), ["ok"])
        let ids = try copy.read { try $0.query("SELECT id FROM blobs ORDER BY id").map { try $0.get(at: 0) as Int } }
        XCTAssertEqual(ids, [0, 1, 2, 3, 50], "what was committed before the backup, nothing after")
    }

    func testBackupToAMissingDirectoryFailsCleanly() throws {
        let database = try makeDatabase(blobs: 1, bytes: 10)
        defer { try? database.close() }
        let error = expectDatabaseError { try database.backup(to: "/nonexistent-\(UUID().uuidString)/copy.sqlite") }
        XCTAssertNotNil(error)
        XCTAssert(error?.message.contains("cannot create") ?? false, "\(String(describing: error))")
    }
}
