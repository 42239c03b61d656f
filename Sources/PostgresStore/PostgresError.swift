/// Every failure PostgresStore reports: a URL that cannot be used, a connection that cannot be
/// made or was lost, an error the server answered (with its SQLSTATE), or a value that cannot
/// be read as the type asked for.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The database URL is malformed; `message` says what and where.
        case invalidURL
        /// No connection could be made, or it broke while in use.
        case connection
        /// The server rejected a statement; `sqlState` holds its five-character code.
        case server
        /// A column's value cannot be decoded as the requested Swift type.
        case mismatch
        /// The API was used in a way it does not allow (e.g. nested pools, closed pool).
        case misuse
    }

    public var kind: Kind
    public var message: String
    /// The SQLSTATE of a server error (https://www.postgresql.org/docs/current/errcodes-appendix.html).
    public var sqlState: String?
    public var detail: String?
    public var constraint: String?
    public var sql: String?
    /// The connection broke while COMMIT was in flight: the transaction may have committed.
    public var commitInDoubt = false

    public init(
        _ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil,
        sql: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
        self.sql = sql
    }

    /// A serializable transaction that lost to a concurrent one (40001) or a deadlock victim
    /// (40P01): running the whole transaction again is the documented remedy
    /// (https://www.postgresql.org/docs/current/transaction-iso.html, "applications using this
    /// level must be prepared to retry transactions due to serialization failures").
    public var isSerializationFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// A unique constraint was violated (23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// A foreign key was violated (23503).
    public var isForeignKeyViolation: Bool { sqlState == "23503" }

    /// The connection is gone: class 08 (connection exception), or the server shutting down
    /// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
    public var isConnectionFailure: Bool {
        if kind == .connection { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    public var description: String {
        var text = "PostgreSQL: " + message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; " + detail }
        if let sql { text += " in: " + sql }
        return text
    }
}
