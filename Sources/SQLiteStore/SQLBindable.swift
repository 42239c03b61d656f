import Foundation

// Float blobs are written in the host's byte order and read back the same way. Every platform
// nnserve builds for (x86-64, arm64) is little-endian, so files move between them unchanged;
// a big-endian port would have to byte-swap here and in `decodeFloats`.
#if _endian(big)
#error("SQLiteStore stores float32 blobs little-endian; add byte swapping for big-endian hosts")
#endif

/// A Swift value that can be bound to a statement parameter. Values always travel as bound
/// parameters (https://www.sqlite.org/c3ref/bind_blob.html), never spliced into SQL text.
public protocol SQLBindable {
    func bind(to statement: Statement, at index: Int32) throws
}

/// Positional arguments, bound to `?` / `?NNN` parameters in order. `nil` binds NULL.
public typealias StatementArguments = [(any SQLBindable)?]
/// Named arguments; keys may be written with or without their `:`, `@` or `$` prefix.
public typealias NamedStatementArguments = [String: (any SQLBindable)?]

extension Int64: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        try statement.bindInt64(self, at: index)
    }
}

extension Int: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        try statement.bindInt64(Int64(self), at: index)
    }
}

extension Bool: SQLBindable {
    /// Stored as 0 or 1 (https://www.sqlite.org/datatype3.html, section 2.1).
    public func bind(to statement: Statement, at index: Int32) throws {
        try statement.bindInt64(self ? 1 : 0, at: index)
    }
}

extension Double: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        try statement.bindDouble(self, at: index)
    }
}

extension String: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        try statement.bindText(self, at: index)
    }
}

extension Data: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        try withUnsafeBytes { try statement.bindBlob($0, at: index) }
    }
}

/// `[Float]` binds as a compact BLOB of float32s (4 bytes each, host order), without an
/// intermediate `Data`: SQLite copies the array's bytes once.
extension Array: SQLBindable where Element == Float {
    public func bind(to statement: Statement, at index: Int32) throws {
        try withUnsafeBytes { try statement.bindBlob($0, at: index) }
    }
}

extension DatabaseValue: SQLBindable {
    public func bind(to statement: Statement, at index: Int32) throws {
        switch self {
        case .null: try statement.bindNull(at: index)
        case .integer(let int): try statement.bindInt64(int, at: index)
        case .real(let double): try statement.bindDouble(double, at: index)
        case .text(let text): try statement.bindText(text, at: index)
        case .blob(let data): try data.bind(to: statement, at: index)
        }
    }
}
