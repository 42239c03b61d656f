import CSQLite

/// A BLOB bound without a copy: SQLite reads the caller's bytes where they are
/// (SQLITE_STATIC, https://sqlite.org/c3ref/bind_blob.html) instead of copying them first, as
/// every other binding does (SQLITE_TRANSIENT). For a value of hundreds of MiB that is one whole
/// copy less. The bytes must stay valid and unchanged until the statement is reset: bind it only
/// for one `Connection.execute`, which resets the statement and clears its bindings before it
/// returns.
public struct BorrowedBlob: SQLBindable {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public func bind(to statement: Statement, at index: Int32) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            try statement.bindBlob(bytes, at: index)
            return
        }
        // SQLITE_STATIC is the null destructor (sqlite3.h).
        try statement.check(sqlite3_bind_blob64(statement.handle, index, base, sqlite3_uint64(bytes.count), nil))
    }
}
