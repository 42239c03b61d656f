import Foundation
import NNCore
import SQLiteStore

/// `ServiceStorage` over one SQLite database: data sets, models, jobs, per-epoch metrics and
/// checkpoints. Every multi-row change runs in one transaction, so a crash leaves either all
/// of it or none. Several processes on one machine may open the same file (WAL mode,
/// https://www.sqlite.org/wal.html): the API and its worker processes share it that way.
public final class SQLiteServiceStore: ServiceStorage, @unchecked Sendable {
    // `@unchecked Sendable`: `database` confines its connection to its own serial queue;
    // `generation` is guarded by `generationLock`.
    public let database: Database

    /// Bumped after every change to a model's spec, weights or existence, so that caches of
    /// model records know when to read again. Guarded by `generationLock`.
    private var generation = 0
    private let generationLock = NSLock()

    /// This process's own model changes, combined with `PRAGMA data_version`, which changes
    /// when another connection (another process) commits
    /// (https://www.sqlite.org/pragma.html#pragma_data_version).
    public func modelsGeneration() throws -> Int {
        generationLock.lock()
        let local = generation
        generationLock.unlock()
        let dataVersion = try read { try $0.queryOne("PRAGMA data_version")?.get(at: 0, as: Int.self) ?? 0 }
        return (dataVersion << 32) ^ local
    }

    func modelsChanged() {
        generationLock.lock()
        generation += 1
        generationLock.unlock()
    }

    /// The `-wal` file is cut back to this size whenever SQLite resets it.
    static let journalSizeLimit = 64 << 20

    public init(path: String) throws {
        database = try Database(path: path, options: .init(createParentDirectory: true))
        _ = try Self.migrator.migrate(database)
        // Once per file: a file that already holds tables changes mode only through a VACUUM,
        // which rewrites it (https://www.sqlite.org/pragma.html#pragma_auto_vacuum). After the
        // migrations, so that what they free is left out of the rewritten file.
        try database.enableIncrementalAutoVacuum()
        try database.limitJournalSize(bytes: Self.journalSizeLimit)
    }

    public init(inMemory: Void = ()) throws {
        database = try Database.inMemory()
        _ = try Self.migrator.migrate(database)
    }

    static var migrator: Migrator {
        var migrator = Migrator()
        migrator.register("001_initial_schema") { db in
            try db.executeScript(
                """
                CREATE TABLE datasets(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                  rows INTEGER NOT NULL, input_shape TEXT NOT NULL, target TEXT NOT NULL,
                  inputs BLOB NOT NULL, targets BLOB NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
                CREATE TABLE models(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,
                  loss TEXT, weights BLOB, weights_version INTEGER NOT NULL DEFAULT 0,
                  epochs_trained INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
                CREATE TABLE jobs(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
                  dataset_id TEXT NOT NULL, validation_dataset_id TEXT, config TEXT NOT NULL,
                  status TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0, epochs INTEGER NOT NULL,
                  base_epoch INTEGER NOT NULL DEFAULT 0, latest TEXT, error TEXT,
                  stopped_early INTEGER NOT NULL DEFAULT 0,
                  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT);
                CREATE INDEX jobs_status ON jobs(status, seq);
                CREATE TABLE metrics(
                  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
                  data TEXT NOT NULL, PRIMARY KEY(job_id, epoch));
                CREATE TABLE checkpoints(
                  model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
                  job_id TEXT, loss REAL, val_loss REAL, created_at TEXT NOT NULL, state BLOB NOT NULL,
                  PRIMARY KEY(model_id, epoch));
                """)
        }
        registerRetentionMigration(&migrator)
        // Kept apart from the initial schema so that it merges with other migrations by name.
        migrator.register("003_job_attempts") { db in
            try db.executeScript(
                """
                ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
                """)
        }
        registerLabelsMigration(&migrator)
        registerLeaseMigration(&migrator)
        registerSweepsMigration(&migrator)
        registerFloatColumnsLastMigration(&migrator)
        return migrator
    }

    /// `PRAGMA integrity_check` (https://www.sqlite.org/pragma.html#pragma_integrity_check).
    public func integrityCheck() throws -> [String] { try database.integrityCheck() }

    public func checkReady() throws { _ = try read { try $0.queryOne("SELECT 1") } }

    public func close() throws { try database.close() }

    // Every access goes through these, so that SQLite's errors leave the store as
    // `StorageError`: a busy database is worth a retry, anything else is a failure.

    func read<T>(_ body: (Connection) throws -> T) throws -> T { try translating { try database.read(body) } }

    func inTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try translating { try database.inTransaction(body) }
    }

    func durableTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try translating { try database.durableTransaction(body) }
    }

    /// Returns the pages deletes freed to the file system (incremental auto-vacuum).
    func vacuum() throws { try translating { try database.incrementalVacuum() } }

    private func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.isBusy {
            throw StorageError.unavailable("the database is busy; retry shortly")
        } catch let error as DatabaseError {
            throw StorageError.failed("SQLite: \(error)")
        }
    }
}

/// Ids with a kind prefix and 16 random hex digits; times as RFC 3339 UTC.
enum Identifiers {
    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return prefix + "_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// JSON text for values stored in TEXT columns.
enum StoredJSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
