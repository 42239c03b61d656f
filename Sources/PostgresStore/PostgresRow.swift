import Foundation

/// One result row, copied out of the libpq result so that it outlives it and can cross
/// threads. Columns are read by name with a type:
///
///     let name: String = try row.get("name")
///     let finishedAt: String? = try row.get("finished_at")   // nil for NULL
///     let inputs = try row.floats("inputs")                    // float32 bytea
public struct PostgresRow: Sendable, Equatable {
    /// The column names in result order; all rows of one result share the same array.
    public let columnNames: [String]
    public let values: [PostgresValue]

    init(columnNames: [String], values: [PostgresValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    public var count: Int { values.count }

    public subscript(index: Int) -> PostgresValue { values[index] }

    /// PostgreSQL folds unquoted identifiers to lower case, so a name is looked up exactly
    /// first and then ignoring ASCII case.
    public func index(of name: String) -> Int? {
        columnNames.firstIndex(of: name)
            ?? columnNames.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    public func value(_ name: String) throws -> PostgresValue {
        guard let index = index(of: name) else {
            throw PostgresError(
                .mismatch, "no column named \(name); the row has \(columnNames.joined(separator: ", "))")
        }
        return values[index]
    }

    public func get<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try T.decode(value(name), column: name)
    }

    public func get<T: PostgresDecodable>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(.mismatch, "column index \(index) is out of range 0..<\(values.count)")
        }
        return try T.decode(values[index], column: columnNames[index])
    }

    /// A float32 bytea column as `[Float]` (one copy).
    public func floats(_ name: String) throws -> [Float] {
        let data: Data = try get(name)
        let stride = MemoryLayout<Float>.stride
        guard data.count % stride == 0 else {
            throw PostgresError(
                .mismatch, "column \(name) holds \(data.count) bytes, not a whole number of float32 values")
        }
        return [Float](unsafeUninitializedCapacity: data.count / stride) { buffer, initialized in
            _ = data.copyBytes(to: buffer)
            initialized = data.count / stride
        }
    }
}

/// A Swift type a column value can be read as.
public protocol PostgresDecodable {
    static func decode(_ value: PostgresValue, column: String) throws -> Self
}

extension Int64: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Int64 {
        switch value {
        case .integer(let int): return int
        case .numeric(let text): if let int = Int64(text) { return int }
        default: break
        }
        throw mismatch(value, column, "Int64")
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Int {
        Int(try Int64.decode(value, column: column))
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Double {
        switch value {
        case .real(let double): return double
        case .integer(let int): return Double(int)
        case .numeric(let text): if let double = Double(text) { return double }
        default: break
        }
        throw mismatch(value, column, "Double")
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Bool {
        switch value {
        case .boolean(let bool): return bool
        case .integer(let int): return int != 0
        default: throw mismatch(value, column, "Bool")
        }
    }
}

extension String: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> String {
        guard case .text(let text) = value else { throw mismatch(value, column, "String") }
        return text
    }
}

extension Data: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Data {
        guard case .bytes(let data) = value else { throw mismatch(value, column, "Data") }
        return data
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Date {
        guard case .timestamp(let date) = value else { throw mismatch(value, column, "Date") }
        return date
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ value: PostgresValue, column: String) throws -> Wrapped? {
        if case .null = value { return nil }
        return try Wrapped.decode(value, column: column)
    }
}

private func mismatch(_ value: PostgresValue, _ column: String, _ type: String) -> PostgresError {
    let found: String
    switch value {
    case .null: found = "NULL"
    case .integer: found = "an integer"
    case .real: found = "a float"
    case .boolean: found = "a boolean"
    case .text: found = "text"
    case .bytes: found = "bytea"
    case .numeric(let text): found = "numeric \(text)"
    case .timestamp: found = "a timestamp"
    case .unsupported(let oid): found = "a value of type OID \(oid) (cast it in SQL, e.g. ::text)"
    }
    return PostgresError(.mismatch, "column \(column) holds \(found), which cannot be read as \(type)")
}
