import Foundation
import NNCore
import PostgresStore

/// `ServiceStorage` over a PostgreSQL database (`NN_DATABASE_URL`), shared by any number of API
/// and worker processes on any number of machines.
///
/// The tables are those of `SQLiteServiceStore`, in PostgreSQL's types: BYTEA for data sets,
/// weights and checkpoints (sent and read in binary, so bytes arrive unchanged), BIGSERIAL for
/// creation order, TIMESTAMPTZ for lease expiry, compared with the server's clock so that the
/// processes' clocks need not agree. Every multi-row change is one transaction at READ COMMITTED
/// that locks the rows it decides on (`FOR UPDATE`), and is run again by
/// `PostgresDatabase.transaction` after a deadlock or a lost connection; jobs are claimed with
/// `FOR UPDATE SKIP LOCKED` (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
///
/// `@unchecked Sendable`: the only state is `database`, a pool that is itself thread-safe
/// (guarded by its own lock), and immutable configuration.
public final class PostgresServiceStore: ServiceStorage, @unchecked Sendable {
    public let database: PostgresDatabase

    /// Connects (failing at once when the URL or the server is wrong) and migrates the schema;
    /// processes starting together take turns at the migration (an advisory lock).
    public init(url: PostgresURL, maximumConnections: Int = 4) throws {
        do {
            database = try PostgresDatabase(url: url, maximumConnections: maximumConnections)
            try Self.migrator.migrate(database)
        } catch let error as PostgresError {
            throw Self.translate(error)
        }
    }

    public convenience init(url text: String) throws {
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: text)
        } catch let error as PostgresError {
            throw StorageError.failed(error.message)
        }
        try self.init(url: url)
    }

    /// A number that changes with every committed change to any model, in any process: one
    /// counter row, bumped inside the changing transaction, so that it becomes visible exactly
    /// when the change does (a cache that reads a new generation also reads the new data).
    public func modelsGeneration() throws -> Int {
        try read { db in try db.queryOne("SELECT models_generation FROM store_state")?.get("models_generation") ?? 0 }
    }

    /// Inside a transaction that changed a model.
    func modelsChanged(in db: PostgresConnection) throws {
        try db.execute("UPDATE store_state SET models_generation = models_generation + 1")
    }

    public func checkReady() throws { _ = try read { try $0.queryOne("SELECT 1 AS ok") } }

    public func close() throws { database.close() }

    /// Figures for `/metrics`: the database's size (pg_database_size,
    /// https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-DBSIZE) and the
    /// stored checkpoints. The write-ahead log and free space are the server's business and
    /// read as 0 here.
    public func storageFigures() throws -> StorageFigures {
        try read { db in
            let row = try db.queryOne(
                "SELECT pg_database_size(current_database()) AS bytes, (SELECT COUNT(*) FROM checkpoints) AS checkpoints"
            )
            return StorageFigures(
                databaseBytes: try row?.get("bytes") ?? 0, walBytes: 0, freeBytes: 0,
                checkpoints: try row?.get("checkpoints") ?? 0)
        }
    }

    // Every access goes through these, so that PostgreSQL's errors leave the store as
    // `StorageError`: a lost connection or an exhausted pool is worth a retry (503), anything
    // else is a failure.

    /// A read, run once more on a fresh connection when the first one turns out broken (the
    /// server restarted, or a proxy closed an idle connection): reads change nothing, so they
    /// are safe to repeat, and a client should not see a 503 for a connection the pool can replace.
    func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try translating {
            do {
                return try database.withConnection(body)
            } catch let error as PostgresError where error.isConnectionFailure {
                return try database.withConnection(body)
            }
        }
    }

    /// A transaction, run again after a deadlock or a connection lost before COMMIT; `body` may
    /// therefore run more than once and must have no effect outside the database.
    func inTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try translating { try database.transaction(.readCommitted, body) }
    }

    private func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: PostgresError) -> StorageError {
        if error.isConnectionFailure || error.isSerializationFailure {
            return .unavailable("the database is unreachable or busy (\(error.message)); retry shortly")
        }
        return .failed("\(error)")
    }
}
