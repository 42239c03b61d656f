import Foundation

/// One column value of a result row. Results are requested in binary format, so every value
/// arrives as the server's own representation of its type and is decoded here exactly: no
/// float goes through decimal text, and BYTEA arrives as its raw bytes.
public enum PostgresValue: Sendable, Equatable {
    case null
    /// int2, int4, int8 and oid.
    case integer(Int64)
    /// float4 and float8.
    case real(Double)
    case boolean(Bool)
    /// text, varchar, char, name, json, jsonb.
    case text(String)
    /// bytea.
    case bytes(Data)
    /// numeric, as its exact decimal text (what SUM and AVG of integers give).
    case numeric(String)
    /// timestamp and timestamptz.
    case timestamp(Date)
    /// A type this module does not decode; cast it in SQL (`::text`, `::bigint`).
    case unsupported(typeOID: UInt32)

    public var isNull: Bool { self == .null }
}

/// Type OIDs of the built-in types (src/include/catalog/pg_type.dat; stable across releases).
enum TypeOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let json: UInt32 = 114
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let unknown: UInt32 = 705
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let jsonb: UInt32 = 3802
}

extension PostgresValue {
    /// Decodes one binary-format field. The formats are those of each type's `*send`
    /// function: integers and floats big-endian, bool one byte, jsonb a version byte (1)
    /// before its text, timestamps int64 microseconds since 2000-01-01 UTC
    /// (https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES).
    init(binary bytes: UnsafeRawBufferPointer, typeOID: UInt32) throws {
        func bigEndian<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            guard bytes.count == MemoryLayout<T>.size else {
                throw PostgresError(
                    .mismatch, "a value of type \(typeOID) has \(bytes.count) bytes, not \(MemoryLayout<T>.size)")
            }
            var value: T = 0
            for byte in bytes { value = value << 8 | T(byte) }
            return value
        }
        switch typeOID {
        case TypeOID.bool: self = .boolean(try bigEndian(UInt8.self) != 0)
        case TypeOID.int2: self = .integer(Int64(try bigEndian(Int16.self)))
        case TypeOID.int4: self = .integer(Int64(try bigEndian(Int32.self)))
        case TypeOID.int8: self = .integer(try bigEndian(Int64.self))
        case TypeOID.oid: self = .integer(Int64(try bigEndian(UInt32.self)))
        case TypeOID.float4: self = .real(Double(Float(bitPattern: try bigEndian(UInt32.self))))
        case TypeOID.float8: self = .real(Double(bitPattern: try bigEndian(UInt64.self)))
        case TypeOID.bytea: self = .bytes(Data(bytes))
        case TypeOID.text, TypeOID.varchar, TypeOID.bpchar, TypeOID.name, TypeOID.json, TypeOID.unknown:
            self = .text(String(decoding: bytes, as: UTF8.self))
        case TypeOID.jsonb:
            guard bytes.first == 1 else { throw PostgresError(.mismatch, "a jsonb value has an unknown version byte") }
            self = .text(String(decoding: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self))
        case TypeOID.timestamp, TypeOID.timestamptz:
            let microseconds = try bigEndian(Int64.self)
            self = .timestamp(Date(timeIntervalSince1970: 946_684_800 + Double(microseconds) / 1_000_000))
        case TypeOID.numeric: self = .numeric(try NumericText.decode(bytes))
        default: self = .unsupported(typeOID: typeOID)
        }
    }
}

/// numeric's binary form (numeric_send in src/backend/utils/adt/numeric.c): int16 ndigits,
/// weight, sign, dscale, then ndigits base-10000 digits; `weight` is the power of 10000 of the
/// first digit.
enum NumericText {
    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> String {
        func int16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))) }
        guard bytes.count >= 8 else { throw PostgresError(.mismatch, "a numeric value is shorter than its header") }
        let count = int16(0)
        let weight = int16(2)
        let sign = UInt16(bitPattern: Int16(int16(4)))
        let scale = int16(6)
        guard count >= 0, bytes.count == 8 + 2 * count else {
            throw PostgresError(.mismatch, "a numeric value's length does not match its digit count")
        }
        if sign == 0xC000 { return "NaN" }
        if sign == 0xD000 { return "Infinity" }
        if sign == 0xF000 { return "-Infinity" }
        let digits = (0..<count).map { int16(8 + 2 * $0) }
        var integer = ""
        for position in 0...max(weight, 0) {
            let digit = position < digits.count && weight >= 0 ? digits[position] : 0
            integer += position == 0 ? String(digit) : pad(digit)
        }
        if weight < 0 { integer = "0" }
        var fraction = ""
        if scale > 0 {
            var position = weight + 1
            while fraction.count < scale {
                let digit = position >= 0 && position < digits.count ? digits[position] : 0
                fraction += pad(digit)
                position += 1
            }
            fraction = "." + fraction.prefix(scale)
        }
        return (sign == 0x4000 ? "-" : "") + integer + fraction
    }

    private static func pad(_ digit: Int) -> String {
        let text = String(digit)
        return String(repeating: "0", count: 4 - text.count) + text
    }
}
