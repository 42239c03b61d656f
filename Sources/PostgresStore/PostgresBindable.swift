import Foundation

// Float blobs are written in the host's byte order, as SQLite stores them, so the bytes of a
// weights file are the same in either database. Every platform nnserve builds for is
// little-endian.
#if _endian(big)
#error("PostgresStore stores float32 blobs little-endian; add byte swapping for big-endian hosts")
#endif

/// One statement parameter as `PQexecParams` takes it
/// (https://www.postgresql.org/docs/current/libpq-exec.html#LIBPQ-PQEXECPARAMS): a type OID
/// (0 lets the server infer it from the statement), the format, and the bytes. Values always
/// travel as parameters, never spliced into SQL text.
public struct PostgresParameter: Sendable, Equatable {
    public var typeOID: UInt32
    public var isBinary: Bool
    /// nil sends SQL NULL.
    public var bytes: [UInt8]?

    public static let null = PostgresParameter(typeOID: 0, isBinary: false, bytes: nil)
}

/// A Swift value that can be sent as a statement parameter.
public protocol PostgresBindable {
    func postgresParameter() throws -> PostgresParameter
}

/// Positional arguments for `$1`, `$2`, …; `nil` sends NULL.
public typealias PostgresArguments = [(any PostgresBindable)?]

extension FixedWidthInteger {
    fileprivate var bigEndianBytes: [UInt8] { withUnsafeBytes(of: self.bigEndian) { Array($0) } }
}

extension Int64: PostgresBindable {
    /// int8 in binary: 8 bytes big-endian (int8send).
    public func postgresParameter() -> PostgresParameter {
        PostgresParameter(typeOID: TypeOID.int8, isBinary: true, bytes: bigEndianBytes)
    }
}

extension Int: PostgresBindable {
    public func postgresParameter() -> PostgresParameter { Int64(self).postgresParameter() }
}

extension Int32: PostgresBindable {
    public func postgresParameter() -> PostgresParameter { Int64(self).postgresParameter() }
}

extension Double: PostgresBindable {
    /// float8 in binary: the IEEE 754 bits big-endian, so the value arrives exactly.
    public func postgresParameter() -> PostgresParameter {
        PostgresParameter(typeOID: TypeOID.float8, isBinary: true, bytes: bitPattern.bigEndianBytes)
    }
}

extension Bool: PostgresBindable {
    public func postgresParameter() -> PostgresParameter {
        PostgresParameter(typeOID: TypeOID.bool, isBinary: true, bytes: [self ? 1 : 0])
    }
}

extension String: PostgresBindable {
    /// Text format with type 0, so that the server gives the parameter the type its use asks
    /// for (text, varchar, jsonb, …). Text parameters are C strings: a NUL could not be sent,
    /// and PostgreSQL text cannot hold one anyway.
    public func postgresParameter() throws -> PostgresParameter {
        var bytes = Array(utf8)
        if bytes.contains(0) {
            throw PostgresError(.misuse, "a text parameter contains a NUL character, which PostgreSQL text cannot hold")
        }
        bytes.append(0)
        return PostgresParameter(typeOID: 0, isBinary: false, bytes: bytes)
    }
}

extension Data: PostgresBindable {
    /// bytea in binary: the raw bytes, with no hex or escape encoding
    /// (https://www.postgresql.org/docs/current/datatype-binary.html).
    public func postgresParameter() -> PostgresParameter {
        PostgresParameter(typeOID: TypeOID.bytea, isBinary: true, bytes: Array(self))
    }
}

/// `[Float]` binds as a bytea of float32s in host order, the layout SQLiteStore uses.
extension Array: PostgresBindable where Element == Float {
    public func postgresParameter() -> PostgresParameter {
        PostgresParameter(typeOID: TypeOID.bytea, isBinary: true, bytes: withUnsafeBytes { [UInt8]($0) })
    }
}

extension PostgresValue: PostgresBindable {
    public func postgresParameter() throws -> PostgresParameter {
        switch self {
        case .null: return .null
        case .integer(let value): return value.postgresParameter()
        case .real(let value): return value.postgresParameter()
        case .boolean(let value): return value.postgresParameter()
        case .text(let value), .numeric(let value): return try value.postgresParameter()
        case .bytes(let value): return value.postgresParameter()
        case .timestamp(let date):
            let microseconds = Int64(((date.timeIntervalSince1970 - 946_684_800) * 1_000_000).rounded())
            return PostgresParameter(typeOID: TypeOID.timestamptz, isBinary: true, bytes: microseconds.bigEndianBytes)
        case .unsupported(let oid):
            throw PostgresError(.misuse, "a value of unsupported type \(oid) cannot be sent as a parameter")
        }
    }
}
