import Foundation

/// One value as SQLite stores it: its five storage classes
/// (https://www.sqlite.org/datatype3.html, section 2).
public enum DatabaseValue: Equatable, Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    public var isNull: Bool { self == .null }
}

/// A Swift type that can be read from a column. `Optional` conforms for every conforming
/// type and answers `nil` for NULL; the non-optional types throw on NULL, so a missing value
/// is never silently read as 0 or "".
public protocol ColumnDecodable {
    static func decode(_ value: DatabaseValue, column: String) throws -> Self
}

extension DatabaseValue: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> DatabaseValue { value }
}

extension Int64: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> Int64 {
        guard case .integer(let int) = value else { throw typeMismatch(value, column, "Int64") }
        return int
    }
}

extension Int: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> Int {
        guard case .integer(let int) = value, let result = Int(exactly: int) else {
            throw typeMismatch(value, column, "Int")
        }
        return result
    }
}

extension Double: ColumnDecodable {
    /// An INTEGER is accepted too: SQLite may hand back a whole number stored in a column
    /// without REAL affinity as an integer (datatype3.html, section 3).
    public static func decode(_ value: DatabaseValue, column: String) throws -> Double {
        switch value {
        case .real(let double): return double
        case .integer(let int): return Double(int)
        default: throw typeMismatch(value, column, "Double")
        }
    }
}

extension Bool: ColumnDecodable {
    /// SQLite has no boolean class; booleans are stored as the integers 0 and 1
    /// (datatype3.html, section 2.1).
    public static func decode(_ value: DatabaseValue, column: String) throws -> Bool {
        guard case .integer(let int) = value else { throw typeMismatch(value, column, "Bool") }
        return int != 0
    }
}

extension String: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> String {
        guard case .text(let text) = value else { throw typeMismatch(value, column, "String") }
        return text
    }
}

extension Data: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> Data {
        guard case .blob(let data) = value else { throw typeMismatch(value, column, "Data") }
        return data
    }
}

extension Optional: ColumnDecodable where Wrapped: ColumnDecodable {
    public static func decode(_ value: DatabaseValue, column: String) throws -> Wrapped? {
        if case .null = value { return nil }
        return try Wrapped.decode(value, column: column)
    }
}

private func typeMismatch(_ value: DatabaseValue, _ column: String, _ type: String) -> DatabaseError {
    let found: String
    switch value {
    case .null: found = "NULL"
    case .integer: found = "INTEGER"
    case .real: found = "REAL"
    case .text: found = "TEXT"
    case .blob: found = "BLOB"
    }
    return .mismatch("column \(column) holds \(found), which cannot be read as \(type)")
}

extension DatabaseValue {
    /// A BLOB of native float32s read as `[Float]` with one copy. The blob must be a whole
    /// number of floats. Data sets and weights are stored this way (see `[Float]: SQLBindable`).
    func floats(column: String) throws -> [Float] {
        guard case .blob(let data) = self else {
            throw typeMismatch(self, column, "[Float]")
        }
        return try data.withUnsafeBytes { try decodeFloats($0, column: column) }
    }
}

/// Copies a raw buffer of native float32s into a new array (one `memcpy`; alignment of the
/// source does not matter because the copy goes byte-wise into the array's storage).
func decodeFloats(_ bytes: UnsafeRawBufferPointer, column: String) throws -> [Float] {
    let stride = MemoryLayout<Float>.stride
    guard bytes.count % stride == 0 else {
        throw DatabaseError.mismatch(
            "column \(column) holds a \(bytes.count)-byte blob, not a whole number of float32 values")
    }
    let count = bytes.count / stride
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0, let base = bytes.baseAddress {
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
                from: UnsafeRawBufferPointer(start: base, count: count * stride))
        }
        initialized = count
    }
}
