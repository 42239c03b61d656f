import CSQLite

/// Transactions (https://www.sqlite.org/lang_transaction.html) and, when nested, savepoints
/// (https://www.sqlite.org/lang_savepoint.html).
extension Connection {
    /// Runs `body` in a transaction: committed when `body` returns, rolled back when it throws
    /// (the error is rethrown).
    ///
    /// The outermost call uses `BEGIN IMMEDIATE`, which takes the write lock at once. With a
    /// plain (deferred) BEGIN, a transaction that reads first and writes later can fail with
    /// SQLITE_BUSY on its first write without the busy timeout helping, because another
    /// connection committed in between (wal.html, "Sometimes Queries Return SQLITE_BUSY In WAL
    /// Mode"). Waiting at BEGIN is what the busy timeout can handle.
    ///
    /// A call inside an open transaction becomes a savepoint: its own failure rolls back only
    /// its own work, and nothing is durable until the outermost transaction commits.
    public func inTransaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction {
            return try inSavepoint(body)
        }
        try execute("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackIgnoringErrors()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            // A failed COMMIT (e.g. a deferred foreign key violation) leaves the transaction
            // open; roll it back so the connection is usable again.
            rollbackIgnoringErrors()
            throw error
        }
        return result
    }

    private func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        // Savepoint names are identifiers, built only from a counter: no value is spliced.
        let name = "sqlitestore_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
        } catch {
            // ROLLBACK TO keeps the savepoint on the stack; RELEASE then removes it.
            // (lang_savepoint.html). If SQLite already rolled back the whole transaction
            // (some errors do, c3ref/get_autocommit.html) there is nothing left to undo.
            if isInTransaction {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
            }
            throw error
        }
        try execute("RELEASE \(name)")
        return result
    }

    /// Rolls back if a transaction is still open. SQLite rolls back by itself after some
    /// errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY), and a second ROLLBACK
    /// would then fail with "no transaction is active".
    private func rollbackIgnoringErrors() {
        if isInTransaction { try? execute("ROLLBACK") }
    }
}
