import CLibPQ
import Foundation

/// What one statement gave: its rows (decoded from binary format) and, for INSERT, UPDATE and
/// DELETE, how many rows it changed.
public struct PostgresResult: Sendable {
    public var rows: [PostgresRow]
    public var affectedRows: Int

    /// Reads and frees a libpq result, turning a failed one into `PostgresError` with the
    /// fields of the server's error report
    /// (https://www.postgresql.org/docs/current/libpq-exec.html#LIBPQ-PQRESULTERRORFIELD).
    init(consuming result: OpaquePointer?, connection: PostgresConnection, sql: String) throws {
        guard let result else {
            // libpq returns NULL only when out of memory or unable to send the command at all.
            throw PostgresError(
                .connection, PostgresConnection.message(PQerrorMessage(connection.handle)), sql: sql)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            rows = []
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            rows = try Self.rows(of: result)
        default:
            throw Self.error(result, connection: connection, sql: sql)
        }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    private static func rows(of result: OpaquePointer) throws -> [PostgresRow] {
        let columns = Int32(PQnfields(result))
        let names = (0..<columns).map { String(cString: PQfname(result, $0)) }
        let types = (0..<columns).map { UInt32(PQftype(result, $0)) }
        return try (0..<PQntuples(result)).map { row in
            let values = try (0..<columns).map { column -> PostgresValue in
                if PQgetisnull(result, row, column) != 0 { return .null }
                let length = Int(PQgetlength(result, row, column))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: length)
                do {
                    return try PostgresValue(binary: bytes, typeOID: types[Int(column)])
                } catch var error as PostgresError {
                    error.message = "column \(names[Int(column)]): " + error.message
                    throw error
                }
            }
            return PostgresRow(columnNames: names, values: values)
        }
    }

    private static func error(_ result: OpaquePointer, connection: PostgresConnection, sql: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        // Field codes are single letters (src/include/postgres_ext.h): C is the SQLSTATE,
        // M the primary message, D the detail, n the constraint name.
        let sqlState = field("C")
        let message = field("M") ?? PostgresConnection.message(PQresultErrorMessage(result))
        let kind: PostgresError.Kind = sqlState == nil && !connection.isUsable ? .connection : .server
        return PostgresError(
            kind, message, sqlState: sqlState, detail: field("D"), constraint: field("n"), sql: sql)
    }
}
