import CLibPQ
import Foundation
import Synchronization

/// Receives `NOTIFY` messages on a connection of its own
/// (https://www.postgresql.org/docs/current/libpq-notify.html, sql-listen.html, sql-notify.html).
///
///     let listener = try PostgresListener(url: url, channels: ["models"]) { channel, payload in … }
///     // elsewhere: try db.execute("SELECT pg_notify('models', $1)", [modelID])
///     listener.stop()
///
/// A background thread waits on the connection's socket. When the connection breaks it
/// reconnects (every second until it succeeds) and calls `onReconnect`, because notifications
/// sent while it was away are lost: whoever caches on the strength of them must start afresh.
///
/// `@unchecked Sendable`: `isStopped` is guarded by `lock`; the connection is used only by the
/// background thread after `init` returns.
public final class PostgresListener: @unchecked Sendable {
    public typealias Handler = @Sendable (_ channel: String, _ payload: String) -> Void

    private let url: PostgresURL
    private let channels: [String]
    private let handler: Handler
    private let onReconnect: @Sendable () -> Void
    private let lock = NSLock()
    private var isStopped = false
    private let finished = DispatchSemaphore(value: 0)

    public init(
        url: PostgresURL, channels: [String], onReconnect: @escaping @Sendable () -> Void = {},
        handler: @escaping Handler
    ) throws {
        self.url = url
        self.channels = channels
        self.handler = handler
        self.onReconnect = onReconnect
        // The connection is made on the listening thread and never leaves it; the first
        // attempt's failure is reported here.
        let started = DispatchSemaphore(value: 0)
        let firstError = Mutex<(any Error)?>(nil)
        let thread = Thread { [self] in
            let connection: PostgresConnection
            do {
                connection = try Self.connectAndListen(url: url, channels: channels)
            } catch {
                firstError.withLock { $0 = error }
                started.signal()
                finished.signal()
                return
            }
            started.signal()
            run(connection)
        }
        thread.name = "PostgresListener"
        thread.start()
        started.wait()
        if let error = firstError.withLock({ $0 }) {
            lock.lock()
            isStopped = true
            lock.unlock()
            throw error
        }
    }

    /// Stops the thread within about a quarter of a second and closes the connection.
    public func stop() {
        lock.lock()
        let wasStopped = isStopped
        isStopped = true
        lock.unlock()
        if !wasStopped { finished.wait() }
    }

    private var stopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isStopped
    }

    private static func connectAndListen(url: PostgresURL, channels: [String]) throws -> PostgresConnection {
        let connection = try PostgresConnection(url: url)
        for channel in channels {
            // LISTEN takes an identifier, not a parameter; quote_ident makes any name safe.
            guard let quoted = try connection.queryOne("SELECT quote_ident($1) AS q", [channel])?.get("q") as String?
            else { continue }
            try connection.execute("LISTEN \(quoted)")
        }
        return connection
    }

    private func run(_ first: PostgresConnection) {
        var connection: PostgresConnection? = first
        while !stopped {
            guard let current = connection else {
                Thread.sleep(forTimeInterval: 1)
                connection = try? Self.connectAndListen(url: url, channels: channels)
                if connection != nil { onReconnect() }
                continue
            }
            var descriptor = pollfd(fd: PQsocket(current.handle), events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 250)
            guard PQconsumeInput(current.handle) == 1 else {
                connection = nil
                continue
            }
            while let notification = PQnotifies(current.handle) {
                let channel = String(cString: notification.pointee.relname)
                let payload = String(cString: notification.pointee.extra)
                PQfreemem(notification)
                handler(channel, payload)
            }
        }
        connection = nil
        finished.signal()
    }
}
