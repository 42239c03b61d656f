import CSQLite

/// The one error type of SQLiteStore.
///
/// It carries SQLite's extended result code (https://www.sqlite.org/rescode.html), the message
/// of `sqlite3_errmsg` taken right after the failing call, and the SQL being run, so that a log
/// line says what failed and where. Conditions detected by this module itself (a closed
/// database, a column that does not exist, an unknown applied migration) use the nearest
/// SQLite code (`SQLITE_MISUSE`, `SQLITE_RANGE`, `SQLITE_MISMATCH`, `SQLITE_ERROR`) and a
/// message written here.
public struct DatabaseError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The extended result code, e.g. 2067 (`SQLITE_CONSTRAINT_UNIQUE`). Extended codes are
    /// switched on for every connection with `sqlite3_extended_result_codes`.
    public let extendedCode: Int32
    /// What SQLite (or this module) said went wrong.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code: the low 8 bits of the extended code (rescode.html,
    /// "Primary Result Codes versus Extended Result Codes").
    public var primaryCode: Int32 { extendedCode & 0xFF }

    /// A CHECK, NOT NULL, UNIQUE, PRIMARY KEY or FOREIGN KEY constraint was violated: the
    /// request conflicts with stored data, which callers usually report as a conflict rather
    /// than as a bug.
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }
    public var isUniqueViolation: Bool {
        extendedCode == ExtendedCode.constraintUnique || extendedCode == ExtendedCode.constraintPrimaryKey
    }
    public var isForeignKeyViolation: Bool { extendedCode == ExtendedCode.constraintForeignKey }
    public var isNotNullViolation: Bool { extendedCode == ExtendedCode.constraintNotNull }
    /// Another connection held a lock for longer than the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// SQLite's English name for the code, e.g. "constraint failed" (`sqlite3_errstr`).
    public var codeDescription: String {
        guard let text = sqlite3_errstr(extendedCode) else { return "unknown error" }
        return String(cString: text)
    }

    public var description: String {
        var text = "SQLite error \(primaryCode)"
        if extendedCode != primaryCode { text += "/\(extendedCode)" }
        text += " (\(codeDescription)): \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }
}

/// Extended codes are C macros built with `|` and `<<`, which Swift does not import; the
/// values are those of https://www.sqlite.org/rescode.html.
enum ExtendedCode {
    static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)  // 787
    static let constraintNotNull: Int32 = SQLITE_CONSTRAINT | (5 << 8)  // 1299
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)  // 1555
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)  // 2067
}

extension DatabaseError {
    /// The error SQLite reports for `code` on connection `handle`, read at once so that no
    /// other call can replace the message (c3ref/errcode.html).
    static func from(code: Int32, handle: OpaquePointer?, sql: String?) -> DatabaseError {
        var message = "unknown error"
        if let handle, let text = sqlite3_errmsg(handle) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(code) {
            message = String(cString: text)
        }
        return DatabaseError(extendedCode: code, message: message, sql: sql)
    }

    static func misuse(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedCode: SQLITE_MISUSE, message: message, sql: sql)
    }

    static func range(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedCode: SQLITE_RANGE, message: message, sql: sql)
    }

    static func mismatch(_ message: String, sql: String? = nil) -> DatabaseError {
        DatabaseError(extendedCode: SQLITE_MISMATCH, message: message, sql: sql)
    }
}
