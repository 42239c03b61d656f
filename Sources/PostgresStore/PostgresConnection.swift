import CLibPQ
import Foundation

/// One libpq connection. A `PostgresDatabase` lends it to one closure at a time; it must not be
/// kept or used outside that closure, which is why it is not `Sendable`
/// (https://www.postgresql.org/docs/current/libpq-threading.html: a connection may not be used
/// by two threads at once).
public final class PostgresConnection {
    let handle: OpaquePointer
    public let url: PostgresURL
    /// Nesting depth of `inTransaction` calls, used to name savepoints.
    var savepointDepth = 0

    /// Connects, or throws `.connection` with libpq's reason and the URL without its password.
    /// Unless the URL says otherwise, connecting gives up after 10 seconds (libpq's default is
    /// to wait forever) and the client encoding is UTF8.
    public init(url: PostgresURL) throws {
        self.url = url
        var pairs = url.connectionKeywords
        let given = Set(pairs.map(\.0))
        if !given.contains("connect_timeout") { pairs.append(("connect_timeout", "10")) }
        if !given.contains("client_encoding") { pairs.append(("client_encoding", "UTF8")) }
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        // expand_dbname = 0: the database name is a name, never a second connection string.
        let connection = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 0)
            }
        }
        guard let connection else {
            throw PostgresError(.connection, "libpq could not allocate a connection to \(url)")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.message(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(.connection, "cannot connect to \(url): \(reason)")
        }
        // Notices ("relation already exists, skipping", …) would otherwise go to stderr
        // (https://www.postgresql.org/docs/current/libpq-notice-processing.html).
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// False once libpq has seen the connection break; such a connection is discarded.
    public var isUsable: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether a transaction block is open (also when it failed and awaits ROLLBACK).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Whether a statement failed inside the open transaction, which now only accepts ROLLBACK.
    var transactionFailed: Bool { PQtransactionStatus(handle) == PQTRANS_INERROR }

    /// The server's process id, which `pg_stat_activity` and `pg_terminate_backend` know it by.
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    // MARK: Statements

    /// Runs one statement with `$1`, `$2`, … parameters through `PQexecParams`, asking for
    /// binary results (https://www.postgresql.org/docs/current/libpq-exec.html#LIBPQ-PQEXECPARAMS).
    /// Only one statement may be given: the extended query protocol refuses several.
    @discardableResult
    public func execute(_ sql: String, _ arguments: PostgresArguments = []) throws -> PostgresResult {
        let parameters = try arguments.map { try $0?.postgresParameter() ?? .null }
        guard parameters.count <= Int(Int16.max) else {
            throw PostgresError(
                .misuse, "\(parameters.count) parameters given; a statement takes at most 32767", sql: sql)
        }
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        for parameter in parameters {
            guard let bytes = parameter.bytes else {
                offsets.append(nil)
                continue
            }
            guard bytes.count < Int(Int32.max) else {
                throw PostgresError(
                    .misuse, "a parameter of \(bytes.count) bytes is larger than a message can carry", sql: sql)
            }
            offsets.append(storage.count)
            storage.append(contentsOf: bytes)
        }
        // One spare byte, so that the buffer always has an address: a zero-length value
        // (an empty string or bytea) still needs a non-null pointer, or libpq would send NULL.
        storage.append(0)
        let types = parameters.map { Oid($0.typeOID) }
        let lengths = parameters.map { Int32($0.bytes?.count ?? 0) }
        let formats = parameters.map { Int32($0.isBinary ? 1 : 0) }
        let result = storage.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        }
        return try PostgresResult(consuming: result, connection: self, sql: sql)
    }

    /// The rows of one statement.
    public func query(_ sql: String, _ arguments: PostgresArguments = []) throws -> [PostgresRow] {
        try execute(sql, arguments).rows
    }

    /// The first row, or nil when there is none.
    public func queryOne(_ sql: String, _ arguments: PostgresArguments = []) throws -> PostgresRow? {
        try execute(sql, arguments).rows.first
    }

    /// Runs several `;`-separated statements that take no parameters (schema scripts), with
    /// the simple query protocol (https://www.postgresql.org/docs/current/libpq-exec.html#LIBPQ-PQEXEC).
    /// Outside a transaction the server runs them as one implicit transaction.
    public func executeScript(_ sql: String) throws {
        _ = try PostgresResult(consuming: PQexec(handle, sql), connection: self, sql: sql)
    }

    static func message(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown error"
    }
}

@available(*, unavailable, message: "a PostgresConnection is lent to one closure at a time")
extension PostgresConnection: Sendable {}
