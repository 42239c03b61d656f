/// A `postgres://user:password@host:port/database?parameter=value` URL, parsed and checked
/// before any connection is tried, so that a mistake is reported as what it is and where.
///
/// The form is libpq's connection URI (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS):
/// the scheme is `postgres` or `postgresql`; user, password, host and database are
/// percent-decoded; an empty host means the default Unix socket, and `?host=/dir` names a socket
/// directory. Query parameters are libpq keywords from the list below
/// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS).
/// The components are handed to `PQconnectdbParams` one by one, so no value is ever re-quoted.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String?
    public var password: String?
    /// A host name, an IP address (IPv6 without its brackets), or nil for the default socket.
    public var host: String?
    public var port: Int?
    public var database: String
    /// libpq keywords from the query string, in the order given.
    public var parameters: [Parameter]

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The libpq keywords a URL may set in its query string.
    public static let allowedParameters: Set<String> = [
        "host", "hostaddr", "connect_timeout", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
        "tcp_user_timeout", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "passfile",
        "target_session_attrs",
    ]

    /// Longer URLs are refused before parsing: no real one comes near it.
    public static let maximumLength = 4096

    public init(
        user: String? = nil, password: String? = nil, host: String? = nil, port: Int? = nil, database: String,
        parameters: [Parameter] = []
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.parameters = parameters
    }

    /// Parses `text`; throws `PostgresError` of kind `.invalidURL` naming the part at fault.
    public init(parsing text: String) throws {
        self = try PostgresURLParser(text).parse()
    }

    /// Whether `text` is meant as a PostgreSQL URL (by its scheme), whether or not it is valid.
    public static func isPostgresURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Keyword/value pairs for `PQconnectdbParams`
    /// (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PQCONNECTDBPARAMS).
    public var connectionKeywords: [(String, String)] {
        var pairs: [(String, String)] = [("dbname", database)]
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let host { pairs.append(("host", host)) }
        if let port { pairs.append(("port", String(port))) }
        for parameter in parameters { pairs.append((parameter.name, parameter.value)) }
        return pairs
    }

    /// The URL with its password replaced by `***`, for logs and error messages.
    public var description: String {
        var text = "postgres://"
        if let user {
            text += user
            if password != nil { text += ":***" }
            text += "@"
        }
        if let host { text += host.contains(":") ? "[\(host)]" : host }
        if let port { text += ":\(port)" }
        text += "/" + database
        if !parameters.isEmpty {
            text += "?" + parameters.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
        return text
    }
}
