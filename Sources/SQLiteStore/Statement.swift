import CSQLite
import Foundation

/// SQLITE_TRANSIENT: SQLite copies a bound text or blob before the bind call returns, so the
/// Swift buffer only has to live for the call (https://www.sqlite.org/c3ref/bind_blob.html).
/// The C macro casts -1 to a destructor pointer, which Swift cannot import.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement (https://www.sqlite.org/c3ref/stmt.html), finalized when released.
///
/// A statement belongs to the connection that made it and is used only inside the
/// `read`/`write` closure that made it: like `Connection`, it is not `Sendable`.
/// Parameter and column indexes follow SQLite: parameters count from 1, columns from 0.
public final class Statement {
    public let sql: String
    let handle: OpaquePointer
    /// The connection handle, for `sqlite3_errmsg`.
    let connectionHandle: OpaquePointer

    /// Compiles the first statement of `text`, a C string holding (part of) `sql`, and sets
    /// `tail` to what follows it. Nil when `text` holds only whitespace or comments.
    init?(
        connectionHandle: OpaquePointer, sql: String, text: UnsafePointer<CChar>,
        tail: UnsafeMutablePointer<UnsafePointer<CChar>?>?
    ) throws {
        var statement: OpaquePointer?
        // c3ref/prepare.html: prepare_v2 reports errors from the prepare call itself and
        // recompiles the statement when the schema changes.
        let code = sqlite3_prepare_v2(connectionHandle, text, -1, &statement, tail)
        guard code == SQLITE_OK else {
            sqlite3_finalize(statement)
            throw DatabaseError.from(code: code, handle: connectionHandle, sql: sql)
        }
        guard let statement else { return nil }
        self.handle = statement
        self.connectionHandle = connectionHandle
        // The text of this one statement, which is what an error should quote.
        self.sql = sqlite3_sql(statement).map { String(cString: $0) } ?? sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// The number of the largest parameter (c3ref/bind_parameter_count.html).
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    public func bind(_ value: (any SQLBindable)?, at index: Int32) throws {
        if let value { try value.bind(to: self, at: index) } else { try bindNull(at: index) }
    }

    /// Binds by name. `name` may carry its prefix (":id", "@id", "$id") or not ("id"); without
    /// one, each prefix is tried (c3ref/bind_parameter_index.html).
    public func bind(_ value: (any SQLBindable)?, named name: String) throws {
        try bind(value, at: try parameterIndex(named: name))
    }

    /// Binds positional arguments to parameters 1…n; their number must match.
    public func bind(_ arguments: StatementArguments) throws {
        guard arguments.count == parameterCount else {
            throw DatabaseError.range(
                "\(arguments.count) arguments given for \(parameterCount) parameters", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            try bind(argument, at: Int32(offset + 1))
        }
    }

    public func bind(_ arguments: NamedStatementArguments) throws {
        for (name, argument) in arguments {
            try bind(argument, named: name)
        }
    }

    public func parameterIndex(named name: String) throws -> Int32 {
        let first = name.first
        let candidates = first == ":" || first == "@" || first == "$" ? [name] : [":" + name, "@" + name, "$" + name]
        for candidate in candidates {
            let index = sqlite3_bind_parameter_index(handle, candidate)
            if index > 0 { return index }
        }
        throw DatabaseError.range("no parameter named \(name)", sql: sql)
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    public func bindInt64(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    public func bindDouble(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    /// Binds UTF-8 text with its byte length, so an embedded NUL does not cut it short.
    public func bindText(_ value: String, at index: Int32) throws {
        var value = value
        try value.withUTF8 { utf8 in
            // An empty string still needs a non-NULL pointer, or SQLite would bind NULL.
            let empty: StaticString = ""
            let base = UnsafeRawPointer(utf8.baseAddress ?? empty.utf8Start).assumingMemoryBound(to: CChar.self)
            try check(
                sqlite3_bind_text64(handle, index, base, sqlite3_uint64(utf8.count), transient, UInt8(SQLITE_UTF8)))
        }
    }

    /// Binds raw bytes as a BLOB; SQLite copies them once. An empty buffer binds a zero-length
    /// BLOB, not NULL: `sqlite3_bind_blob` with a NULL pointer would store NULL
    /// (c3ref/bind_blob.html), so the empty case goes through `sqlite3_bind_zeroblob`.
    public func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            try check(sqlite3_bind_zeroblob(handle, index, 0))
            return
        }
        try check(sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(bytes.count), transient))
    }

    /// Binds float32 values as a BLOB (4 bytes each, host order).
    public func bindFloats(_ values: UnsafeBufferPointer<Float>, at index: Int32) throws {
        try bindBlob(UnsafeRawBufferPointer(values), at: index)
    }

    /// Sets every parameter back to NULL and releases SQLite's copies of bound blobs.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Running

    /// Runs one step: `true` when a row is ready to read, `false` when the statement is done
    /// (c3ref/step.html).
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = DatabaseError.from(code: code, handle: connectionHandle, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Rewinds the statement so it can run again; bindings are kept. Resetting also ends the
    /// read transaction an unfinished SELECT keeps open (c3ref/reset.html).
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Steps until done, discarding any rows.
    public func run() throws {
        while try step() {}
    }

    /// Steps until done, collecting every row.
    public func rows() throws -> [Row] {
        var rows: [Row] = []
        let names = columnNames
        while try step() {
            rows.append(Row(columnNames: names, values: currentValues()))
        }
        return rows
    }

    func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw DatabaseError.from(code: code, handle: connectionHandle, sql: sql)
        }
    }
}

@available(*, unavailable, message: "a Statement is confined to the closure of the connection that made it")
extension Statement: Sendable {}
