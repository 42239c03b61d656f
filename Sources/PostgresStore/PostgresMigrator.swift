/// Named, ordered schema migrations, each applied once and recorded in
/// `schema_migrations(name, applied_at)`, as SQLiteStore's `Migrator` does.
///
/// PostgreSQL's DDL is transactional, so each migration runs in one transaction with the
/// insert of its record: one that throws leaves neither its changes nor its name. Several
/// processes starting at once against one database (API replicas and workers) take turns
/// through a transaction-level advisory lock, taken again by each migration's transaction,
/// which checks its record under the lock, so each migration runs exactly once
/// (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS). A
/// transaction-level lock, unlike a session one, also works through a transaction-pooling
/// proxy such as PgBouncer, where consecutive transactions may reach different server sessions.
public struct PostgresMigrator: Sendable {
    public typealias Body = @Sendable (PostgresConnection) throws -> Void

    private var migrations: [(name: String, body: Body)] = []

    /// The advisory lock key taken while migrating: an arbitrary constant, "nnmigr" in ASCII.
    static let lockKey: Int64 = 0x6E6E_6D69_6772

    public init() {}

    public var names: [String] { migrations.map(\.name) }

    public mutating func register(_ name: String, _ body: @escaping Body) {
        migrations.append((name, body))
    }

    /// Applies every registered migration not yet recorded, in order, and answers the names it
    /// applied. Throws before applying anything when two share a name, or when the database
    /// records a migration this build does not know (a newer version wrote it).
    @discardableResult
    public func migrate(_ database: PostgresDatabase) throws -> [String] {
        try database.withConnection { connection in try migrate(connection) }
    }

    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [String] {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw PostgresError(.misuse, "migration \(name) is registered twice; each name must be unique")
        }
        let applied = try connection.inTransaction { () -> [String] in
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    seq BIGSERIAL NOT NULL, name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
            return try appliedMigrations(connection)
        }
        let unknown = applied.filter { !seen.contains($0) }
        guard unknown.isEmpty else {
            throw PostgresError(
                .misuse,
                "the database has migrations this version does not know: " + unknown.joined(separator: ", ")
                    + "; it was written by a newer version, which must be used to open it")
        }
        let appliedSet = Set(applied)
        var done: [String] = []
        for migration in migrations where !appliedSet.contains(migration.name) {
            do {
                let ran = try connection.inTransaction { () -> Bool in
                    try connection.execute("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
                    // Another process may have applied it since the list was read.
                    guard
                        try connection.queryOne(
                            "SELECT 1 AS found FROM schema_migrations WHERE name = $1", [migration.name]) == nil
                    else { return false }
                    try migration.body(connection)
                    try connection.execute("INSERT INTO schema_migrations(name) VALUES ($1)", [migration.name])
                    return true
                }
                if ran { done.append(migration.name) }
            } catch var error as PostgresError {
                error.message = "migration \(migration.name) failed: \(error.message)"
                throw error
            }
        }
        return done
    }

    /// The recorded names in the order they were applied; empty for a fresh database.
    public func appliedMigrations(_ connection: PostgresConnection) throws -> [String] {
        guard try connection.queryOne("SELECT to_regclass('schema_migrations')::text AS t")?.get("t") as String? != nil
        else { return [] }
        return try connection.query("SELECT name FROM schema_migrations ORDER BY seq").map { try $0.get("name") }
    }
}
