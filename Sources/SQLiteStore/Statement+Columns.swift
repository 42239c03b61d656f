import CSQLite
import Foundation

/// Reading the current row of a statement (https://www.sqlite.org/c3ref/column_blob.html).
/// These are valid after `step()` returned `true`; indexes count from 0.
extension Statement {
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public var columnNames: [String] {
        (0..<Int32(columnCount)).map { index in
            sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
        }
    }

    /// The index of the first column called `name`, ignoring ASCII case as SQLite does for
    /// identifiers.
    public func columnIndex(named name: String) throws -> Int32 {
        let names = columnNames
        if let index = names.firstIndex(of: name)
            ?? names.firstIndex(where: {
                $0.caseInsensitiveCompare(name) == .orderedSame
            })
        {
            return Int32(index)
        }
        throw DatabaseError.range("no column named \(name)", sql: sql)
    }

    /// The value of one column as SQLite stores it. Text and blobs are copied out of SQLite's
    /// buffer, which is only valid until the next step.
    public func value(at index: Int32) throws -> DatabaseValue {
        try checkColumn(index)
        return column(index)
    }

    /// The value of one column decoded as `T` (`Int64`, `String?`, `Data`, …).
    public func get<T: ColumnDecodable>(at index: Int32, as type: T.Type = T.self) throws -> T {
        try checkColumn(index)
        let name = sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "\(index)"
        return try T.decode(column(index), column: name)
    }

    /// The current row as a `Row` value.
    public func row() -> Row {
        Row(columnNames: columnNames, values: currentValues())
    }

    /// Lends the bytes of a BLOB column without copying them. The buffer is SQLite's and is
    /// valid only inside `body` (c3ref/column_blob.html: the pointer lives until the next
    /// step, reset or type conversion). NULL and empty blobs give an empty buffer.
    public func withBlob<R>(at index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try checkColumn(index)
        let type = sqlite3_column_type(handle, index)
        guard type == SQLITE_BLOB || type == SQLITE_NULL else {
            throw DatabaseError.mismatch("column \(index) is not a BLOB", sql: sql)
        }
        // Call column_blob before column_bytes, the order the SQLite docs recommend.
        let base = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeRawBufferPointer(start: count > 0 ? base : nil, count: count))
    }

    /// A float32 BLOB column read straight from SQLite's buffer into a new array: one copy.
    public func floats(at index: Int32) throws -> [Float] {
        let name = sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "\(index)"
        return try withBlob(at: index) { try decodeFloats($0, column: name) }
    }

    func currentValues() -> [DatabaseValue] {
        (0..<Int32(columnCount)).map { column($0) }
    }

    private func checkColumn(_ index: Int32) throws {
        // Out-of-range indexes are undefined behaviour in the C API (c3ref/column_blob.html).
        guard index >= 0, index < sqlite3_column_count(handle) else {
            throw DatabaseError.range("column index \(index) is out of range 0..<\(columnCount)", sql: sql)
        }
    }

    private func column(_ index: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            // A zero-length blob has a NULL pointer but is still a BLOB, not NULL.
            guard let base = sqlite3_column_blob(handle, index) else { return .blob(Data()) }
            let count = Int(sqlite3_column_bytes(handle, index))
            return .blob(Data(bytes: base, count: count))
        default:
            return .null
        }
    }
}
