import CSQLite
import Foundation

/// A SQLite database file (or `:memory:`) behind one connection and one serial queue.
///
/// Every access goes through `read { connection in … }` or `write { connection in … }`; the
/// closure runs synchronously on the private queue, so callers on any thread are serialized
/// and the connection is never used by two threads at once. Calls nested inside a closure
/// on the same database run inline instead of deadlocking.
///
///     let database = try Database(path: "data/nnserve.sqlite",
///                                 options: .init(createParentDirectory: true))
///     try database.write { try $0.execute("INSERT INTO t(name) VALUES (?)", ["a"]) }
///     let names = try database.read { try $0.query("SELECT name FROM t") }
///
/// `@unchecked Sendable`: the only mutable state, `connection`, is read and written only on
/// `queue` (and in `deinit`, when no other reference exists).
public final class Database: @unchecked Sendable {
    public struct Options: Sendable {
        /// Create the directory that will hold the file if it is missing.
        public var createParentDirectory: Bool
        /// How long a statement waits for another connection's lock before failing with
        /// SQLITE_BUSY (https://www.sqlite.org/c3ref/busy_timeout.html).
        public var busyTimeoutMilliseconds: Int32

        public init(createParentDirectory: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000) {
            self.createParentDirectory = createParentDirectory
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    public let path: String
    let options: Options
    public var isInMemory: Bool { path == ":memory:" }

    private let queue: DispatchQueue
    /// Marks `queue`, so that a nested call can tell it is already running there.
    private let queueKey = DispatchSpecificKey<Void>()
    /// The open connection; nil once closed. Guarded by `queue`.
    private var connection: Connection?

    /// Opens (creating if needed) the database at `path`, or a private in-memory database
    /// for `":memory:"`, and configures it; see `ConnectionSetup`.
    public init(path: String, options: Options = Options()) throws {
        guard !path.isEmpty else {
            throw DatabaseError(
                extendedCode: SQLITE_CANTOPEN, message: "empty database path; use :memory: for an in-memory database")
        }
        if options.createParentDirectory && path != ":memory:" {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw DatabaseError(
                    extendedCode: SQLITE_CANTOPEN,
                    message: "cannot create directory \(directory.path): \(error.localizedDescription)")
            }
        }
        self.path = path
        self.options = options
        self.queue = DispatchQueue(label: "SQLiteStore.Database(\(path))")
        self.connection = Connection(handle: try ConnectionSetup.open(path: path, options: options))
        queue.setSpecific(key: queueKey, value: ())
    }

    /// A new private in-memory database.
    public static func inMemory(options: Options = Options()) throws -> Database {
        try Database(path: ":memory:", options: options)
    }

    deinit {
        connection?.close()
    }

    // MARK: Access

    /// Runs `body` with the connection in read-only mode (`PRAGMA query_only`,
    /// https://www.sqlite.org/pragma.html#pragma_query_only): a write inside fails with
    /// SQLITE_READONLY instead of happening by accident.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try perform { connection in
            try connection.beginReadOnly()
            defer { connection.endReadOnly() }
            return try body(connection)
        }
    }

    /// Runs `body` with the connection. Each statement commits on its own unless `body`
    /// opens a transaction; see `inTransaction`.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try perform(body)
    }

    /// Runs `body` in a transaction on the connection: `write { try $0.inTransaction(body) }`.
    public func inTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try perform { connection in try connection.inTransaction { try body(connection) } }
    }

    private var isOnQueue: Bool { DispatchQueue.getSpecific(key: queueKey) != nil }

    private func perform<T>(_ body: (Connection) throws -> T) throws -> T {
        if isOnQueue { return try withConnection(body) }
        return try queue.sync { try withConnection(body) }
    }

    private func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        guard let connection else { throw DatabaseError.misuse("the database \(path) is closed") }
        return try body(connection)
    }

    // MARK: Maintenance

    /// `PRAGMA integrity_check` (https://www.sqlite.org/pragma.html#pragma_integrity_check):
    /// `["ok"]` for a sound database, otherwise one line per problem found.
    public func integrityCheck() throws -> [String] {
        try read { connection in
            try connection.query("PRAGMA integrity_check").map { try $0.get(at: 0) as String }
        }
    }

    /// Copies the write-ahead log into the database file and truncates the log to zero bytes
    /// (`SQLITE_CHECKPOINT_TRUNCATE`, https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
    /// Throws a busy error if readers or a writer kept it from finishing within the busy
    /// timeout. Answers the log's size in frames and how many were copied (-1 when not in WAL).
    @discardableResult
    public func checkpoint() throws -> (logFrames: Int, checkpointedFrames: Int) {
        try write { connection in
            var log: Int32 = 0
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, &log, &copied)
            guard code == SQLITE_OK else {
                throw DatabaseError.from(code: code, handle: connection.handle, sql: "wal_checkpoint(TRUNCATE)")
            }
            return (Int(log), Int(copied))
        }
    }

    /// Finalizes cached statements and closes the connection; later calls throw a misuse
    /// error. Closing twice is harmless. It cannot be called from inside `read`/`write`.
    public func close() throws {
        if isOnQueue {
            throw DatabaseError.misuse("close() was called from inside read or write on the same database")
        }
        queue.sync {
            connection?.close()
            connection = nil
        }
    }
}
