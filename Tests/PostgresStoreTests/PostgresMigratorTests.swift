import Foundation
import PostgresStore
import Synchronization
import XCTest

/// Counts how often a migration body ran, across threads.
private final class RunCounter: Sendable {
    let runs = Atomic<Int>(0)
}

/// Against a real server (skipped without NN_TEST_DATABASE_URL).
final class PostgresMigratorTests: XCTestCase {
    private func migrator(counter: RunCounter? = nil) -> PostgresMigrator {
        var migrator = PostgresMigrator()
        migrator.register("001_datasets") { db in
            counter?.runs.add(1, ordering: .relaxed)
            try db.execute("CREATE TABLE datasets(id TEXT PRIMARY KEY)")
        }
        migrator.register("002_models") { db in
            try db.executeScript(
                "CREATE TABLE models(id TEXT PRIMARY KEY, dataset TEXT REFERENCES datasets(id)); INSERT INTO datasets VALUES ('seed');"
            )
        }
        return migrator
    }

    func testMigrationsApplyOnceInOrder() throws {
        let database = try makeIsolatedDatabase()
        let migrator = migrator()
        try database.withConnection { db in
            XCTAssertEqual(try migrator.appliedMigrations(db), [])
            XCTAssertEqual(try migrator.migrate(db), ["001_datasets", "002_models"])
            XCTAssertEqual(try migrator.migrate(db), [])
            XCTAssertEqual(try migrator.appliedMigrations(db), ["001_datasets", "002_models"])
        }
    }

    func testFailedMigrationLeavesNoTrace() throws {
        let database = try makeIsolatedDatabase()
        var failing = migrator()
        failing.register("003_broken") { db in
            try db.execute("CREATE TABLE half(x INT)")
            throw PostgresError(.misuse, "refused")
        }
        let error = expectPostgresError { try failing.migrate(database) }
        XCTAssertTrue(error?.message.hasPrefix("migration 003_broken failed") ?? false)
        try database.withConnection { db in
            XCTAssertEqual(try failing.appliedMigrations(db), ["001_datasets", "002_models"])
            XCTAssertNil(try db.queryOne("SELECT to_regclass('half')::text AS t")?.get("t") as String?)
        }
    }

    func testUnknownRecordedMigrationAndDuplicatesAreRefused() throws {
        let database = try makeIsolatedDatabase()
        var newer = migrator()
        newer.register("003_future") { db in try db.execute("CREATE TABLE future(x INT)") }
        try newer.migrate(database)
        let older = expectPostgresError { try self.migrator().migrate(database) }
        XCTAssertTrue(older?.message.contains("003_future") ?? false)
        var twice = migrator()
        twice.register("001_datasets") { _ in }
        XCTAssertNotNil(expectPostgresError { try twice.migrate(database) })
    }

    /// Four processes' worth of connections starting at once apply each migration once.
    func testConcurrentMigratorsApplyEachMigrationOnce() throws {
        let url = try makeIsolatedURL()
        let counter = RunCounter()
        let migrator = migrator(counter: counter)
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let connection = try PostgresConnection(url: url)
                try migrator.migrate(connection)
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(errors.withLock { $0 }, [])
        XCTAssertEqual(counter.runs.load(ordering: .relaxed), 1)
    }
}
