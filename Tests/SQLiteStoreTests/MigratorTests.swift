import Foundation
import SQLiteStore
import Synchronization
import XCTest

private struct Refused: Error {}

final class MigratorTests: XCTestCase {
    private func tables(_ database: Database) throws -> [String] {
        try database.read { db in
            try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { try $0.get("name") }
        }
    }

    private func baseMigrator(log: @escaping @Sendable (String) -> Void = { _ in }) -> Migrator {
        var migrator = Migrator()
        migrator.register("001_create_datasets") { db in
            log("001")
            try db.execute("CREATE TABLE datasets(id TEXT PRIMARY KEY, name TEXT NOT NULL)")
        }
        migrator.register("002_create_models") { db in
            log("002")
            // Depends on 001 having run first.
            try db.executeScript(
                """
                CREATE TABLE models(id TEXT PRIMARY KEY, dataset TEXT REFERENCES datasets(id));
                INSERT INTO datasets VALUES ('ds_seed', 'seed');
                """)
        }
        return migrator
    }

    func testMigrationsApplyOnceInOrderAndAreRecorded() throws {
        let path = try makeDatabasePath()
        let ran = Recorder()
        let migrator = baseMigrator { ran.append($0) }
        let database = try Database(path: path)
        XCTAssertEqual(try migrator.appliedMigrations(database), [])
        XCTAssertEqual(try migrator.migrate(database), ["001_create_datasets", "002_create_models"])
        XCTAssertEqual(ran.lines, ["001", "002"])
        XCTAssertEqual(try tables(database), ["datasets", "models", "schema_migrations"])

        let records = try database.read {
            try $0.query("SELECT name, applied_at FROM schema_migrations ORDER BY rowid")
        }
        XCTAssertEqual(try records.map { try $0.get("name") as String }, ["001_create_datasets", "002_create_models"])
        for record in records {
            let appliedAt: String = try record.get("applied_at")
            XCTAssertTrue(appliedAt.hasSuffix("Z") && appliedAt.contains("T"), appliedAt)
        }

        // Re-running, also after a reopen, does nothing.
        XCTAssertEqual(try migrator.migrate(database), [])
        try database.close()
        XCTAssertEqual(try migrator.migrate(try Database(path: path)), [])
        XCTAssertEqual(ran.lines, ["001", "002"])
    }

    func testNewMigrationsAreAppliedAfterExistingOnes() throws {
        let database = try Database.inMemory()
        try baseMigrator().migrate(database)
        var migrator = baseMigrator()
        migrator.register("003_add_rows") { try $0.execute("ALTER TABLE datasets ADD COLUMN rows INTEGER") }
        XCTAssertEqual(try migrator.migrate(database), ["003_add_rows"])
        XCTAssertEqual(try migrator.appliedMigrations(database), migrator.names)
    }

    func testFailingMigrationLeavesNothingOfItselfApplied() throws {
        let database = try Database.inMemory()
        var migrator = baseMigrator()
        migrator.register("003_broken") { db in
            try db.execute("CREATE TABLE jobs(id TEXT PRIMARY KEY)")
            try db.execute("INSERT INTO datasets VALUES ('ds_2', 'two')")
            try db.execute("INSERT INTO no_such_table VALUES (1)")
        }
        migrator.register("004_after") { try $0.execute("CREATE TABLE later(x)") }

        let error = expectDatabaseError { try migrator.migrate(database) }
        XCTAssertTrue(error?.message.contains("migration 003_broken failed") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("no such table: no_such_table") ?? false)
        XCTAssertEqual(try tables(database), ["datasets", "models", "schema_migrations"])
        XCTAssertEqual(try database.read { try $0.query("SELECT id FROM datasets") }.count, 1)  // only ds_seed
        XCTAssertEqual(try migrator.appliedMigrations(database), ["001_create_datasets", "002_create_models"])
        XCTAssertFalse(try database.read { $0.isInTransaction })
    }

    func testMigrationThrowingAnyErrorRollsBackAndRethrowsIt() throws {
        let database = try Database.inMemory()
        var migrator = Migrator()
        migrator.register("only") { db in
            try db.execute("CREATE TABLE t(x)")
            throw Refused()
        }
        XCTAssertThrowsError(try migrator.migrate(database)) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(try tables(database), ["schema_migrations"])
        XCTAssertEqual(try migrator.appliedMigrations(database), [])
    }

    func testUnknownAppliedMigrationFromANewerVersionIsReported() throws {
        let database = try Database.inMemory()
        var newer = baseMigrator()
        newer.register("003_from_the_future") { try $0.execute("CREATE TABLE future(x)") }
        try newer.migrate(database)

        let ran = Recorder()
        let older = baseMigrator { ran.append($0) }
        let error = expectDatabaseError { try older.migrate(database) }
        XCTAssertTrue(error?.message.contains("003_from_the_future") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("newer version") ?? false)
        XCTAssertEqual(ran.lines, [])
    }

    func testDuplicateNamesAreRejectedBeforeAnythingRuns() throws {
        let database = try Database.inMemory()
        var migrator = baseMigrator()
        migrator.register("001_create_datasets") { _ in XCTFail("must not run") }
        let error = expectDatabaseError { try migrator.migrate(database) }
        XCTAssertTrue(error?.message.contains("registered twice") ?? false)
        XCTAssertEqual(try tables(database), [])
    }

    func testTwoConnectionsMigratingTheSameFileApplyEachMigrationOnce() throws {
        let path = try makeDatabasePath()
        let first = try Database(path: path)
        let second = try Database(path: path)
        var migrator = Migrator()
        for i in 0..<10 {
            // CREATE TABLE fails if the same migration runs twice; the pause keeps the other
            // connection's start-up inside this one's migrations.
            migrator.register("m\(i)") { db in
                try db.execute("CREATE TABLE t\(i)(x)")
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        // With the record table in place, each start-up reads the list without waiting for
        // the other's write lock, so the second may read it while the first is midway.
        try Migrator().migrate(first)
        let results = ResultBox(count: 2)
        let arrived = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for (index, database) in [first, second].enumerated() {
            Thread.detachNewThread { [migrator] in
                arrived.signal()
                go.wait()
                results.set(index, Result { try migrator.migrate(database) })
                done.signal()
            }
        }
        arrived.wait(); arrived.wait()
        go.signal(); go.signal()
        done.wait(); done.wait()
        let lists = try results.values.map { try $0.get() }
        XCTAssertEqual(Set(lists[0]).intersection(lists[1]), [])
        XCTAssertEqual(Set(lists[0] + lists[1]), Set(migrator.names))
        XCTAssertEqual(try migrator.appliedMigrations(first), migrator.names)
    }
}

/// Results of concurrent migrations. `@unchecked Sendable`: `results` is only touched while
/// holding `lock`.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[String], Error>]

    init(count: Int) { results = Array(repeating: .success([]), count: count) }

    func set(_ index: Int, _ result: Result<[String], Error>) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    var values: [Result<[String], Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

/// What the migrations of one test logged; they run on the migrating thread, so `Mutex` guards it.
private final class Recorder: Sendable {
    private let state = Mutex<[String]>([])
    func append(_ line: String) { state.withLock { $0.append(line) } }
    var lines: [String] { state.withLock { $0 } }
}
