import Foundation

/// A small pool of connections to one PostgreSQL database.
///
///     let database = try PostgresDatabase(url: PostgresURL(parsing: "postgres://nn:secret@db:5432/nnserve"))
///     try database.withConnection { try $0.execute("INSERT INTO t(name) VALUES ($1)", ["a"]) }
///     let id = try database.transaction { db in try db.queryOne("SELECT …")! }
///
/// Each closure gets a connection of its own for its whole run; calls nested inside it on the
/// same thread reuse that connection (and so join its transaction) instead of taking a second
/// one, which could deadlock a full pool. Connections are opened when needed, up to
/// `maximumConnections`; a caller that finds them all busy waits up to `checkoutTimeout`.
///
/// `@unchecked Sendable`: `idle`, `openCount` and `isClosed` are guarded by `condition`; a
/// connection is used only by the thread that checked it out.
public final class PostgresDatabase: @unchecked Sendable {
    public let url: PostgresURL
    public let maximumConnections: Int
    public let checkoutTimeout: TimeInterval

    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var openCount = 0
    private var isClosed = false
    /// The key under which a thread keeps the connection it has checked out from this pool.
    private let threadKey = "PostgresStore.PostgresDatabase." + UUID().uuidString

    /// Opens the first connection at once, so that a wrong URL or an unreachable server is
    /// reported at start-up rather than at the first request.
    public init(url: PostgresURL, maximumConnections: Int = 4, checkoutTimeout: TimeInterval = 30) throws {
        precondition(maximumConnections >= 1, "a pool needs at least one connection")
        self.url = url
        self.maximumConnections = maximumConnections
        self.checkoutTimeout = checkoutTimeout
        idle = [try PostgresConnection(url: url)]
        openCount = 1
    }

    /// Closes the idle connections and refuses new checkouts; connections in use close when
    /// they are returned.
    public func close() {
        condition.lock()
        isClosed = true
        idle.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` with a connection; each statement commits on its own unless `body` opens a
    /// transaction.
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        if let current = Thread.current.threadDictionary[threadKey] as? PostgresConnection {
            return try body(current)
        }
        let connection = try checkOut()
        Thread.current.threadDictionary[threadKey] = connection
        defer {
            Thread.current.threadDictionary.removeObject(forKey: threadKey)
            checkIn(connection)
        }
        return try body(connection)
    }

    /// Runs `body` in a transaction, and runs it again (up to `attempts` times in all, after a
    /// short randomised wait) when it fails with a serialization failure or deadlock, or when
    /// the connection broke before COMMIT was sent. `body` must therefore be safe to repeat:
    /// it may not have effects outside the database. Nested inside another transaction it
    /// becomes a savepoint and is not retried on its own.
    @discardableResult
    public func transaction<T>(
        _ isolation: PostgresConnection.IsolationLevel = .readCommitted, attempts: Int = 5,
        _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection { connection in
                    try connection.inTransaction(isolation) { try body(connection) }
                }
            } catch let error as PostgresError
                where attempt < attempts && Thread.current.threadDictionary[threadKey] == nil
                && (error.isSerializationFailure || (error.isConnectionFailure && !error.commitInDoubt))
            {
                // Exponential backoff with jitter, so that the transactions that collided do
                // not collide again in lockstep: about 5, 10, 20, 40 ms.
                let base = 0.005 * Double(1 << (attempt - 1))
                Thread.sleep(forTimeInterval: base * Double.random(in: 0.5...1.5))
                attempt += 1
            }
        }
    }

    // MARK: Checkout

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: checkoutTimeout)
        while true {
            if isClosed {
                condition.unlock()
                throw PostgresError(.misuse, "the database pool for \(url) is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                return connection
            }
            if openCount < maximumConnections {
                openCount += 1
                condition.unlock()
                do {
                    return try PostgresConnection(url: url)
                } catch {
                    condition.lock()
                    openCount -= 1
                    condition.signal()
                    condition.unlock()
                    throw error
                }
            }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw PostgresError(
                    .connection,
                    "all \(maximumConnections) connections to \(url) stayed busy for \(Int(checkoutTimeout)) s")
            }
        }
    }

    /// Returns a connection to the pool, or closes it when it broke, when the pool is closed,
    /// or when a transaction was left open (it would leak into the next borrower's work).
    private func checkIn(_ connection: PostgresConnection) {
        if connection.isUsable && connection.isInTransaction { connection.rollbackIgnoringErrors() }
        condition.lock()
        defer { condition.unlock() }
        if isClosed || !connection.isUsable || connection.isInTransaction {
            openCount -= 1
            // A broken connection most often means the server restarted or a proxy dropped its
            // connections, and then the idle ones are broken too: they are closed now rather
            // than handed to the next callers, whose one retry would meet another broken one.
            if !connection.isUsable {
                openCount -= idle.count
                idle.removeAll()
            }
        } else {
            idle.append(connection)
        }
        condition.signal()
    }
}
