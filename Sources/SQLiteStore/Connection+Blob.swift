import CSQLite

/// Incremental blob I/O (https://sqlite.org/c3ref/blob_open.html): a large value is written in
/// pieces into a row that already holds a blob of its size, so neither a bound copy of the value
/// nor a record holding all of it is ever built in memory.
extension Connection {
    /// Writes `bytes` at the start of the blob in `column` of the row of `table` whose rowid is
    /// `rowID`. The row must already hold a blob at least that long: insert it with
    /// `zeroblob(n)` (https://sqlite.org/c3ref/blob_write.html: a blob's size cannot change
    /// through this interface). Writes go into the open transaction like any other change.
    public func writeBlob(
        table: String, column: String, rowID: Int64, bytes: UnsafeRawBufferPointer, pieceBytes: Int = 1 << 20
    ) throws {
        var blob: OpaquePointer?
        let opened = sqlite3_blob_open(handle, "main", table, column, rowID, 1, &blob)
        guard opened == SQLITE_OK, let blob else {
            sqlite3_blob_close(blob)
            throw DatabaseError.from(code: opened, handle: handle, sql: "blob_open \(table).\(column)")
        }
        defer { sqlite3_blob_close(blob) }
        guard Int(sqlite3_blob_bytes(blob)) >= bytes.count else {
            throw DatabaseError.misuse(
                "the blob of \(table).\(column) holds \(sqlite3_blob_bytes(blob)) bytes, fewer than the \(bytes.count) to write"
            )
        }
        var offset = 0
        while offset < bytes.count {
            let count = min(pieceBytes, bytes.count - offset)
            let code = sqlite3_blob_write(blob, bytes.baseAddress! + offset, Int32(count), Int32(offset))
            guard code == SQLITE_OK else {
                throw DatabaseError.from(code: code, handle: handle, sql: "blob_write \(table).\(column)")
            }
            offset += count
        }
    }
}
