import Foundation
import PostgresStore

/// `nnserve`'s settings: each is an environment variable and a command-line flag (the flag
/// wins), with the defaults that `ServerOption` lists.
struct ServerConfig {
    var host = "127.0.0.1"
    var port = 8080
    var dataDirectory = "./data"
    /// The PostgreSQL database shared by every process; nil keeps the SQLite file.
    var databaseURL: PostgresURL?
    var role = Role.all
    var workers = 1
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var apiToken: String?
    var maxBodyBytes = 1 << 30
    var logLevel = "info"
    var openAPIPath: String?
    var isa: String?
    var maxParameters = 50_000_000
    var maxEpochs = 100_000
    var maxQueuedJobs = 1_000
    var maxConnectionsPerClient = 64
    /// nil: the service's default (¾ of the cgroup limit or physical memory).
    var maxMemoryBytes: Int?

    /// What this process does (`NN_ROLE`): serve the API and train in worker processes it
    /// starts itself, serve the API only, or train only.
    enum Role: String {
        case all, api, worker
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The text of an error about the command line, with a pointer to `--help`.
    static func usageError(_ text: String) -> Invalid {
        Invalid(description: "\(text)\nrun 'nnserve --help' for every flag")
    }

    init(environment: [String: String], arguments: [String]) throws {
        var values: [String: String] = [:]
        let names = Dictionary(uniqueKeysWithValues: ServerOption.all.map { ($0.flag, $0.variable) })
        for (flag, variable) in names {
            // An empty variable means unset, except for the token: a secret that templated
            // to nothing must stop the server, not open it.
            if let value = environment[variable], !value.isEmpty || Self.tokenFlags.contains(flag) {
                values[flag] = value
            }
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw Self.usageError("unexpected argument '\(argument)'") }
            var flag = String(argument.dropFirst(2))
            var value: String
            if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw Self.usageError("--\(flag) needs a value") }
                index += 1
                value = arguments[index]
            }
            guard names[flag] != nil else { throw Self.usageError("unknown flag --\(flag)") }
            values[flag] = value
            index += 1
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = values[flag] else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw Invalid(
                    description:
                        "--\(flag) (\(names[flag]!)) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'"
                )
            }
            return value
        }
        host = values["host"] ?? host
        port = try integer("port", 0...65535) ?? port
        dataDirectory = values["data-dir"] ?? dataDirectory
        databaseURL = try values["database-url"].map(Self.databaseURL)
        workers = try integer("workers", 0...64) ?? workers
        if let text = values["role"] {
            guard let parsed = Role(rawValue: text) else {
                throw Invalid(description: "--role (NN_ROLE) must be all, api or worker, got '\(text.prefix(64))'")
            }
            role = parsed
        }
        threads = try integer("threads", 1...256) ?? threads
        apiToken = try Self.token(values)
        maxBodyBytes = try integer("max-body-bytes", 1024...(1 << 40)) ?? maxBodyBytes
        maxParameters = try integer("max-params", 1...(1 << 31)) ?? maxParameters
        maxEpochs = try integer("max-epochs", 1...1_000_000) ?? maxEpochs
        maxQueuedJobs = try integer("max-queue", 1...1_000_000) ?? maxQueuedJobs
        isa = values["isa"]
        maxConnectionsPerClient =
            try integer("max-connections-per-client", 1...1_000_000) ?? maxConnectionsPerClient
        if let text = values["max-memory"] {
            guard let bytes = Self.byteCount(text), bytes >= 1 << 20 else {
                throw Invalid(
                    description:
                        "--max-memory (NN_MAX_MEMORY) must be a byte count of at least 1M, like 4294967296 or 4G, got '\(text)'"
                )
            }
            maxMemoryBytes = bytes
        }
        logLevel = values["log-level"] ?? logLevel
        guard ["debug", "info", "warn", "error"].contains(logLevel) else {
            throw Invalid(description: "--log-level must be debug, info, warn or error")
        }
        openAPIPath =
            values["openapi"] ?? (FileManager.default.fileExists(atPath: "openapi.yaml") ? "openapi.yaml" : nil)
    }

    static let tokenFlags: Set<String> = ["api-token", "api-token-file"]

    /// `--database-url` parsed at start-up, so that a malformed URL stops the server with what
    /// is wrong (never echoing the password) before anything connects.
    static func databaseURL(_ text: String) throws -> PostgresURL {
        guard PostgresURL.isPostgresURL(text) else {
            throw Invalid(
                description:
                    "--database-url (NN_DATABASE_URL) must be a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/nnserve; unset it to use SQLite under --data-dir"
            )
        }
        do {
            return try PostgresURL(parsing: text)
        } catch let error as PostgresError {
            throw Invalid(description: "--database-url (NN_DATABASE_URL): \(error.message)")
        }
    }

    /// The API token from `--api-token` or from the file `--api-token-file` names (a
    /// Kubernetes secret, say; one trailing newline is dropped). Giving both, or a token that
    /// is empty, is a start-up error: an empty token would silently mean no authentication.
    static func token(_ values: [String: String]) throws -> String? {
        switch (values["api-token"], values["api-token-file"]) {
        case (.some, .some):
            throw Invalid(
                description:
                    "give the API token once: --api-token (NN_API_TOKEN) or --api-token-file (NN_API_TOKEN_FILE)")
        case (.some(let token), nil):
            guard !token.isEmpty else {
                throw Invalid(
                    description:
                        "the API token (--api-token, NN_API_TOKEN) is empty; set a token or unset the variable to run without one"
                )
            }
            return token
        case (nil, .some(let path)):
            guard !path.isEmpty else {
                throw Invalid(
                    description: "--api-token-file (NN_API_TOKEN_FILE) is empty; name the file holding the token")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Invalid(
                    description: "cannot read the API token file '\(path)' (--api-token-file, NN_API_TOKEN_FILE)")
            }
            var token = String(decoding: data, as: UTF8.self)
            if token.hasSuffix("\r\n") {
                token.removeLast(2)
            } else if token.hasSuffix("\n") {
                token.removeLast()
            }
            guard !token.isEmpty else {
                throw Invalid(description: "the API token file '\(path)' is empty; put the token in it")
            }
            return token
        case (nil, nil):
            return nil
        }
    }

    /// True when `host` only accepts connections from this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// "4096", "512M", "4G": bytes with an optional binary suffix K, M, G or T.
    static func byteCount(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var digits = Substring(text.uppercased())
        var shift = 0
        if let last = digits.last, let unit = units[last] {
            shift = unit
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value >= 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }
}
