import CSQLite

/// Named, ordered schema migrations, each applied once and recorded in
/// `schema_migrations(name, applied_at)`.
///
///     var migrator = Migrator()
///     migrator.register("create_datasets") { db in
///         try db.executeScript("CREATE TABLE datasets (id TEXT PRIMARY KEY, inputs BLOB NOT NULL)")
///     }
///     try migrator.migrate(database)
///
/// Each pending migration runs in its own transaction together with the insert of its record,
/// so a migration that throws leaves no trace: neither its changes nor its name. Migrations
/// applied before it stay applied. Names are never reused or reordered once released.
public struct Migrator: Sendable {
    public typealias Body = @Sendable (Connection) throws -> Void

    private var migrations: [(name: String, body: Body)] = []

    public init() {}

    /// The registered names, in order.
    public var names: [String] { migrations.map(\.name) }

    /// Adds a migration after those already registered. A duplicate name is reported by
    /// `migrate` (rather than crashing here) since the list is assembled at start-up.
    public mutating func register(_ name: String, _ body: @escaping Body) {
        migrations.append((name, body))
    }

    /// Applies every registered migration not yet recorded, in registration order, and
    /// answers the names it applied (empty when the schema was already current).
    ///
    /// Throws before applying anything if two migrations share a name, or if the database
    /// records a migration this build does not know: it was written by a newer version, and
    /// running older code on it could lose data.
    @discardableResult
    public func migrate(_ database: Database) throws -> [String] {
        try database.write { connection in try migrate(connection) }
    }

    @discardableResult
    public func migrate(_ connection: Connection) throws -> [String] {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw DatabaseError(
                extendedCode: SQLITE_ERROR,
                message: "migration \(name) is registered twice; each name must be unique")
        }
        // Created only when missing, so that an up-to-date database is checked without
        // taking the write lock.
        if try !hasMigrationsTable(connection) {
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name TEXT PRIMARY KEY NOT NULL,
                    applied_at TEXT NOT NULL)
                """)
        }
        let applied = try appliedMigrations(connection)
        let unknown = applied.filter { !seen.contains($0) }
        guard unknown.isEmpty else {
            throw DatabaseError(
                extendedCode: SQLITE_ERROR,
                message: "the database has migrations this version does not know: "
                    + unknown.joined(separator: ", ")
                    + "; it was written by a newer version, which must be used to open it")
        }
        let appliedSet = Set(applied)
        var done: [String] = []
        for migration in migrations where !appliedSet.contains(migration.name) {
            do {
                let applied = try connection.inTransaction { () -> Bool in
                    // Checked again under the write lock of BEGIN IMMEDIATE: another process
                    // opening the same file may have applied it since the list was read.
                    let recorded = try connection.queryOne(
                        "SELECT 1 FROM schema_migrations WHERE name = ?", [migration.name])
                    guard recorded == nil else { return false }
                    try migration.body(connection)
                    // applied_at is an RFC 3339 UTC time with milliseconds, made by SQLite
                    // (https://www.sqlite.org/lang_datefunc.html).
                    try connection.execute(
                        "INSERT INTO schema_migrations(name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                        [migration.name])
                    return true
                }
                if applied { done.append(migration.name) }
            } catch let error as DatabaseError {
                throw DatabaseError(
                    extendedCode: error.extendedCode,
                    message: "migration \(migration.name) failed: \(error.message)",
                    sql: error.sql)
            }
        }
        return done
    }

    /// The names recorded in `schema_migrations`, in the order they were applied; empty for a
    /// database that has never been migrated.
    public func appliedMigrations(_ database: Database) throws -> [String] {
        try database.read { connection in try appliedMigrations(connection) }
    }

    public func appliedMigrations(_ connection: Connection) throws -> [String] {
        guard try hasMigrationsTable(connection) else { return [] }
        return try connection.query("SELECT name FROM schema_migrations ORDER BY rowid").map {
            try $0.get("name") as String
        }
    }

    private func hasMigrationsTable(_ connection: Connection) throws -> Bool {
        try connection.queryOne(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") != nil
    }
}
