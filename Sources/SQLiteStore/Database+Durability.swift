/// Transactions whose commit must be on disk before the caller answers anyone.
///
/// The connection runs with `synchronous=NORMAL` in WAL mode, which syncs only at checkpoints:
/// fast for the many writes nobody waits on (training checkpoints, progress), but a commit can
/// be lost on power failure. With `synchronous=FULL` "the WAL file is synchronized before each
/// commit" (https://www.sqlite.org/pragma.html#pragma_synchronous), so a durable transaction
/// switches to FULL for its commit and back to NORMAL after. The pragma may change at any time
/// outside a transaction; the database's serial queue keeps other work out meanwhile.
extension Database {
    public func durableTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try write { connection in
            try connection.execute("PRAGMA synchronous=FULL")
            defer { try? connection.execute("PRAGMA synchronous=NORMAL") }
            return try connection.inTransaction { try body(connection) }
        }
    }

    /// The connection's `synchronous` level: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    public func synchronousLevel() throws -> Int {
        try write { connection in try connection.queryOne("PRAGMA synchronous")?.get(at: 0) ?? -1 }
    }
}
