/// Transactions (https://www.postgresql.org/docs/current/sql-begin.html) and, when nested,
/// savepoints (https://www.postgresql.org/docs/current/sql-savepoint.html).
extension PostgresConnection {
    /// Isolation levels (https://www.postgresql.org/docs/current/transaction-iso.html).
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// A call inside an open transaction becomes a savepoint, so its failure undoes only its
    /// own work. Retrying after a serialization failure is `PostgresDatabase.transaction`'s job,
    /// since only the outermost transaction can be run again.
    public func inTransaction<T>(_ isolation: IsolationLevel = .readCommitted, _ body: () throws -> T) throws -> T {
        if isInTransaction { return try inSavepoint(body) }
        try execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackIgnoringErrors()
            throw error
        }
        // COMMIT of a transaction in which a statement failed (and the error was caught)
        // answers ROLLBACK without an error; say so instead of reporting success.
        if transactionFailed {
            rollbackIgnoringErrors()
            throw PostgresError(.misuse, "a statement failed inside the transaction, so it was rolled back")
        }
        do {
            try execute("COMMIT")
        } catch var error as PostgresError {
            rollbackIgnoringErrors()
            // A connection lost while COMMIT was on its way: the server may or may not have
            // committed, so the transaction must not be blindly run again.
            if error.isConnectionFailure { error.commitInDoubt = true }
            throw error
        }
        return result
    }

    private func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        // Savepoint names are built only from a counter: no value is spliced into SQL.
        let name = "postgresstore_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
        } catch {
            // ROLLBACK TO also clears a failed state, so the outer transaction can go on.
            if isUsable {
                _ = try? execute("ROLLBACK TO SAVEPOINT \(name)")
                _ = try? execute("RELEASE SAVEPOINT \(name)")
            }
            throw error
        }
        try execute("RELEASE SAVEPOINT \(name)")
        return result
    }

    func rollbackIgnoringErrors() {
        if isUsable && isInTransaction { _ = try? execute("ROLLBACK") }
    }
}
