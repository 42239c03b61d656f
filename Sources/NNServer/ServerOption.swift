/// One setting of `nnserve`: its flag, its environment variable, its default as `--help`
/// shows it, and what it does. `ServerConfig` reads them; `--help` prints them.
struct ServerOption {
    var flag: String
    var variable: String
    var defaultText: String
    var summary: String

    /// Every setting, in the order `--help` lists them.
    static let all: [ServerOption] = [
        ServerOption(
            flag: "host", variable: "NN_HOST", defaultText: "127.0.0.1",
            summary: "address to listen on (0.0.0.0 for every interface)"),
        ServerOption(flag: "port", variable: "NN_PORT", defaultText: "8080", summary: "TCP port (0 picks a free one)"),
        ServerOption(
            flag: "data-dir", variable: "NN_DATA_DIR", defaultText: "./data",
            summary: "directory of the database (nnserve.sqlite)"),
        ServerOption(
            flag: "database-url", variable: "NN_DATABASE_URL", defaultText: "none (SQLite under --data-dir)",
            summary: "postgres://user:password@host:5432/db keeps everything in PostgreSQL, shared by all processes"),
        ServerOption(
            flag: "role", variable: "NN_ROLE", defaultText: "all",
            summary: "all (the API and its worker processes), api (HTTP only) or worker (training only)"),
        ServerOption(
            flag: "workers", variable: "NN_WORKERS", defaultText: "1",
            summary:
                "worker processes under all (0: train on the API's own threads), training loops under worker"),
        ServerOption(
            flag: "threads", variable: "NN_THREADS", defaultText: "all cores",
            summary: "threads per training job"),
        ServerOption(
            flag: "api-token", variable: "NN_API_TOKEN", defaultText: "none",
            summary: "bearer token that every /v1 request must carry (empty is an error)"),
        ServerOption(
            flag: "api-token-file", variable: "NN_API_TOKEN_FILE", defaultText: "none",
            summary: "file holding the API token (a trailing newline is dropped)"),
        ServerOption(
            flag: "max-body-bytes", variable: "NN_MAX_BODY_BYTES", defaultText: "1073741824",
            summary: "largest request body accepted (413 beyond)"),
        ServerOption(
            flag: "max-params", variable: "NN_MAX_PARAMS", defaultText: "50000000",
            summary: "largest model, in parameters"),
        ServerOption(
            flag: "max-memory", variable: "NN_MAX_MEMORY", defaultText: "3/4 of the cgroup limit or physical memory",
            summary: "memory budget of one job or predict request, in bytes (suffix K, M, G allowed; 422 beyond)"),
        ServerOption(
            flag: "max-epochs", variable: "NN_MAX_EPOCHS", defaultText: "100000",
            summary: "most epochs one job may ask for"),
        ServerOption(
            flag: "max-queue", variable: "NN_MAX_QUEUE", defaultText: "1000",
            summary: "queued jobs before submissions get 429"),
        ServerOption(
            flag: "max-connections-per-client", variable: "NN_MAX_CONNECTIONS_PER_CLIENT", defaultText: "64",
            summary: "open connections one client address may hold (429 beyond)"),
        ServerOption(
            flag: "log-level", variable: "NN_LOG_LEVEL", defaultText: "info",
            summary: "debug, info, warn or error"),
        ServerOption(
            flag: "openapi", variable: "NN_OPENAPI_PATH", defaultText: "./openapi.yaml",
            summary: "the spec served at /openapi.yaml"),
        ServerOption(
            flag: "isa", variable: "NN_ISA", defaultText: "the widest the CPU has",
            summary: "numeric kernels: avx2 or avx512 (start-up fails if the CPU lacks it)"),
    ]

    static func named(_ flag: String) -> ServerOption? { all.first { $0.flag == flag } }

    /// The text of `nnserve --help`.
    static var helpText: String {
        let width = all.map { $0.flag.count }.max() ?? 0
        var lines = [
            "usage: nnserve [--FLAG VALUE | --FLAG=VALUE]...",
            "       nnserve worker [--FLAG VALUE]...",
            "       nnserve backup DEST [--data-dir DIR]",
            "       nnserve restore SRC [--data-dir DIR]",
            "       nnserve --help | --version",
            "",
            "Serves the nnserve HTTP API: trains neural networks on the CPU and answers predictions.",
            "Each flag may also be set by its environment variable; a flag wins over the variable.",
            "",
            "commands:",
            "  worker        train queued jobs only (as --role worker): claim the oldest, hold it by a",
            "                lease, checkpoint; serve /healthz, /readyz and /metrics on --port. Under",
            "                --role all the server starts --workers of these itself and restarts one",
            "                that dies.",
            "  backup DEST   write a consistent copy of the database to DEST (a file, or a directory to",
            "                hold nnserve-TIME.sqlite) with SQLite's online backup API; safe while the",
            "                server trains and serves. Checks the copy with PRAGMA integrity_check.",
            "  restore SRC   replace the database with a checked copy of SRC; refuses while a server",
            "                holds the data directory (the flock on DIR/nnserve.lock). The replaced",
            "                database is kept as nnserve.sqlite.pre-restore.",
            "  Both use --data-dir / NN_DATA_DIR to find the database and exit non-zero on failure.",
            "",
            "flags:",
        ]
        for option in all {
            let padded = option.flag.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  --\(padded)  \(option.summary)")
            lines.append(
                "    \(String(repeating: " ", count: width))  env \(option.variable), default \(option.defaultText)")
        }
        lines.append("  --help\(String(repeating: " ", count: max(0, width - 4)))  print this text and exit")
        lines.append("  --version\(String(repeating: " ", count: max(0, width - 7)))  print the version and exit")
        return lines.joined(separator: "\n")
    }
}
