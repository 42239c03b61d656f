import Foundation

/// One result row, copied out of SQLite so that it outlives its statement and can cross
/// threads. Columns are read by name with a type:
///
///     let name: String = try row.get("name")
///     let finishedAt: String? = try row.get("finished_at")   // nil for NULL
///     let inputs = try row.floats("inputs")                    // float32 BLOB
public struct Row: Equatable, Sendable {
    /// The column names, in result order; all rows of one query share the same array.
    public let columnNames: [String]
    public let values: [DatabaseValue]

    /// Rows are made by statements, which always give one value per column.
    init(columnNames: [String], values: [DatabaseValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    public var count: Int { values.count }

    /// The value at a column position; the position must be in range (a programming error
    /// otherwise, as with arrays).
    public subscript(index: Int) -> DatabaseValue { values[index] }

    /// The index of the first column called `name`, ignoring ASCII case as SQLite does for
    /// identifiers, or nil.
    public func index(of name: String) -> Int? {
        columnNames.firstIndex(of: name)
            ?? columnNames.firstIndex { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    public func hasColumn(_ name: String) -> Bool { index(of: name) != nil }

    /// The raw value of column `name`; throws when there is no such column.
    public func value(_ name: String) throws -> DatabaseValue {
        guard let index = index(of: name) else {
            throw DatabaseError.range(
                "no column named \(name); the row has \(columnNames.joined(separator: ", "))")
        }
        return values[index]
    }

    /// Column `name` decoded as `T`. Throws for a missing column, for NULL unless `T` is
    /// optional, and for a value of another storage class.
    public func get<T: ColumnDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try T.decode(value(name), column: name)
    }

    /// Column `index` decoded as `T`; throws when out of range.
    public func get<T: ColumnDecodable>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw DatabaseError.range("column index \(index) is out of range 0..<\(values.count)")
        }
        return try T.decode(values[index], column: columnNames[index])
    }

    /// A float32 BLOB column as `[Float]` (one copy).
    public func floats(_ name: String) throws -> [Float] {
        try value(name).floats(column: name)
    }

    /// A column that may be NULL, as `[Float]?`.
    public func optionalFloats(_ name: String) throws -> [Float]? {
        let value = try value(name)
        return value.isNull ? nil : try value.floats(column: name)
    }
}

extension Row: CustomStringConvertible {
    public var description: String {
        let fields = zip(columnNames, values).map { name, value -> String in
            switch value {
            case .null: return "\(name): NULL"
            case .integer(let int): return "\(name): \(int)"
            case .real(let double): return "\(name): \(double)"
            case .text(let text): return "\(name): \"\(text)\""
            case .blob(let data): return "\(name): <\(data.count) bytes>"
            }
        }
        return "[" + fields.joined(separator: ", ") + "]"
    }
}
