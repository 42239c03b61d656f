import CSQLite
import Foundation

/// One open SQLite connection. A `Database` owns exactly one and lends it to the closures of
/// `read` and `write`, which run on the database's serial queue; a `Connection` must not be
/// kept or used outside that closure, which is why it is not `Sendable`.
public final class Connection {
    let handle: OpaquePointer
    /// Prepared statements of `execute`/`query`, keyed by SQL text. Re-preparing is the
    /// expensive part of running a small statement (c3ref/prepare.html).
    private var cache: [String: Statement] = [:]
    private static let cacheLimit = 64
    /// Nesting depth of `inTransaction` calls, used to name savepoints.
    var savepointDepth = 0
    /// Nesting depth of `read` closures; while above 0, `PRAGMA query_only` is on.
    var readOnlyDepth = 0

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Finalizes cached statements and closes the handle. `sqlite3_close_v2` defers the
    /// close if a caller still holds a statement, instead of failing (c3ref/close.html).
    func close() {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: Statements

    /// Compiles exactly one statement. Text after the first statement is an error rather than
    /// being silently ignored as `sqlite3_prepare_v2` would.
    public func makeStatement(_ sql: String) throws -> Statement {
        try sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            guard let statement = try Statement(connectionHandle: handle, sql: sql, text: text, tail: &tail) else {
                throw DatabaseError.misuse("the SQL text holds no statement", sql: sql)
            }
            if let tail, tail.pointee != 0, hasStatement(tail) {
                throw DatabaseError.misuse(
                    "only one statement may be run at a time; use executeScript for several", sql: sql)
            }
            return statement
        }
    }

    /// A cached statement, reset and with its bindings cleared.
    func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = cache[sql] { return statement }
        let statement = try makeStatement(sql)
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[sql] = statement
        return statement
    }

    /// Runs `body` on a cached statement and leaves it reset with no bindings, so it holds
    /// no read transaction open and no copy of a large blob.
    private func withCachedStatement<R>(_ sql: String, _ body: (Statement) throws -> R) throws -> R {
        let statement = try cachedStatement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        return try body(statement)
    }

    private func hasStatement(_ text: UnsafePointer<CChar>) -> Bool {
        // Whitespace and comments compile to no statement (c3ref/prepare.html).
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, text, -1, &statement, nil)
        sqlite3_finalize(statement)
        return code != SQLITE_OK || statement != nil
    }

    // MARK: Convenience

    /// Runs one statement with positional arguments, discarding any rows.
    public func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            try statement.run()
        }
    }

    /// Runs one statement with named arguments, discarding any rows.
    public func execute(_ sql: String, named arguments: NamedStatementArguments) throws {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            try statement.run()
        }
    }

    /// Runs several statements separated by `;` that take no arguments (schema scripts).
    public func executeScript(_ sql: String) throws {
        try sql.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let text = next, text.pointee != 0 {
                var tail: UnsafePointer<CChar>?
                guard let statement = try Statement(connectionHandle: handle, sql: sql, text: text, tail: &tail) else {
                    return  // only whitespace or comments were left
                }
                try statement.run()
                next = tail
            }
        }
    }

    public func query(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            return try statement.rows()
        }
    }

    public func query(_ sql: String, named arguments: NamedStatementArguments) throws -> [Row] {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            return try statement.rows()
        }
    }

    /// The first row, or nil when there is none; later rows are not computed.
    public func queryOne(_ sql: String, _ arguments: StatementArguments = []) throws -> Row? {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            return try statement.step() ? statement.row() : nil
        }
    }

    public func queryOne(_ sql: String, named arguments: NamedStatementArguments) throws -> Row? {
        try withCachedStatement(sql) { statement in
            try statement.bind(arguments)
            return try statement.step() ? statement.row() : nil
        }
    }

    /// The rowid of the last successful INSERT on this connection (c3ref/last_insert_rowid.html).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last INSERT, UPDATE or DELETE (c3ref/changes.html).
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// Whether a transaction is open: SQLite is out of autocommit mode (c3ref/get_autocommit.html).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: Read-only closures

    /// `PRAGMA query_only` makes every write fail with SQLITE_READONLY
    /// (https://www.sqlite.org/pragma.html#pragma_query_only); nested reads share one switch.
    func beginReadOnly() throws {
        if readOnlyDepth == 0 { try execute("PRAGMA query_only = 1") }
        readOnlyDepth += 1
    }

    func endReadOnly() {
        readOnlyDepth -= 1
        // Setting a pragma flag does not fail on an open connection; if it ever did, the
        // connection would stay read-only, which is the safe way to be wrong.
        if readOnlyDepth == 0 { try? execute("PRAGMA query_only = 0") }
    }
}

@available(*, unavailable, message: "a Connection is confined to its database's queue")
extension Connection: Sendable {}
