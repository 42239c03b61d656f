import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server: a listening socket whose accept source hands each connection to an
/// `HTTPConnection`, a bound on open connections, and graceful shutdown.
///
///     var router = HTTPRouter()
///     router.get("/healthz") { _ in .json(.ok, #"{"status":"ok"}"#) }
///     let server = HTTPServer(configuration: .init(port: 8080, router: router))
///     try server.start()
///     …
///     server.shutdown(gracePeriod: 10)
///
/// `@unchecked Sendable`: `condition` (an NSCondition, also the lock) guards `connections`,
/// `connectionsPerClient`, `state`, `listenSource`, `nextNumber` and `boundPort`; the rest is
/// immutable after `init`.
public final class HTTPServer: @unchecked Sendable {
    enum State { case idle, running, stopping, stopped }

    public let configuration: HTTPServerConfiguration
    /// Random per process, so request ids of two servers (or restarts) never collide.
    let idPrefix = String(UInt32.random(in: .min ... .max), radix: 16)
    private let condition = NSCondition()
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    /// Open connections by client address (without the port).
    private var connectionsPerClient: [String: Int] = [:]
    private var state = State.idle
    private var listenSource: DispatchSourceRead?
    private var nextNumber = 0
    private var boundPort = 0
    private let acceptQueue = DispatchQueue(label: "microhttp.accept")
    private let loops = HTTPEventLoopGroup.shared

    public init(configuration: HTTPServerConfiguration) {
        self.configuration = configuration
    }

    /// The bound port (the chosen one when configured with port 0); 0 before `start()`.
    public var port: Int {
        condition.lock()
        defer { condition.unlock() }
        return boundPort
    }

    public var connectionCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return connections.count
    }

    /// Binds, listens and starts accepting. Throws `SocketError` when the address is unusable.
    public func start() throws {
        let (fd, port) = try Socket.listen(
            host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
        source.setEventHandler { [weak self] in self?.acceptPending(fd, source: source) }
        source.setCancelHandler { Glibc.close(fd) }
        condition.lock()
        state = .running
        boundPort = port
        listenSource = source
        condition.unlock()
        source.resume()
    }

    /// Serves an already connected socket (a socketpair end in tests, an inherited socket);
    /// `remoteAddress` is "host:port". Returns false, closing `fd`, when the server is stopping
    /// or full (503), or the client's address holds `maxConnectionsPerClient` already (429).
    @discardableResult
    public func adopt(fileDescriptor fd: Int32, remoteAddress: String? = nil) -> Bool {
        Socket.prepareConnection(fd)
        let client = Self.clientKey(remoteAddress)
        condition.lock()
        guard state != .stopping && state != .stopped, connections.count < configuration.maxConnections else {
            condition.unlock()
            refuse(fd, with: .serviceUnavailable(retryAfterSeconds: configuration.retryAfterSeconds))
            return false
        }
        if let client {
            let open = connectionsPerClient[client, default: 0]
            guard open < configuration.maxConnectionsPerClient else {
                condition.unlock()
                refuse(
                    fd,
                    with: .tooManyConnections(
                        limit: configuration.maxConnectionsPerClient, retryAfterSeconds: configuration.retryAfterSeconds
                    ))
                return false
            }
            connectionsPerClient[client] = open + 1
        }
        nextNumber += 1
        let connection = HTTPConnection(
            fd: fd, server: self, number: nextNumber, remoteAddress: remoteAddress, client: client,
            loop: loops[nextNumber % loops.count])
        connections[ObjectIdentifier(connection)] = connection
        condition.unlock()
        connection.start()
        return true
    }

    private func acceptPending(_ listenFD: Int32, source: DispatchSourceRead) {
        // Bounded, so one busy listener cannot starve the accept queue's other work.
        for _ in 0..<256 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    // accept4 is not visible from Swift's Glibc module; prepareConnection sets
                    // O_NONBLOCK and the descriptor gets FD_CLOEXEC below.
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE {
                    // Out of descriptors: the pending connection stays in the backlog and the
                    // source would fire at once again; pause instead of spinning.
                    source.suspend()
                    // Dispatch sources may be resumed from any thread; the type just predates
                    // Sendable annotations.
                    nonisolated(unsafe) let paused = source
                    acceptQueue.asyncAfter(deadline: .now() + .milliseconds(100)) { paused.resume() }
                }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let address = Socket.address(of: storage).map { "\($0.host):\($0.port)" }
            adopt(fileDescriptor: fd, remoteAddress: address)
        }
    }

    /// The address part of "host:port" (IPv6 hosts contain colons, the port never does).
    static func clientKey(_ remoteAddress: String?) -> String? {
        guard let address = remoteAddress, let colon = address.lastIndex(of: ":") else { return remoteAddress }
        return String(address[..<colon])
    }

    /// 503 with Retry-After (RFC 9110 §15.6.4), or 429 (RFC 6585 §4) for a client over its
    /// share, then close. The write side is shut down first and the socket closed a moment
    /// later, so unread request bytes do not turn the answer into a reset.
    private func refuse(_ fd: Int32, with error: HTTPError) {
        let response = error.response
        var bytes: [UInt8] = []
        var dates = HTTPDateCache()
        HTTPResponseEncoder.appendHead(
            status: response.status, headers: response.headers, framing: .length(response.bodyBytes?.count ?? 0),
            keepAlive: false, version: .http1_1, date: dates.current(), requestIDHeader: nil, requestID: "",
            into: &bytes)
        bytes += response.bodyBytes ?? []
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        let linger = min(configuration.limits.lingerTimeout, 1)
        DispatchQueue.global().asyncAfter(deadline: .now() + linger) {
            var sink = [UInt8](repeating: 0, count: 4096)
            while recv(fd, &sink, sink.count, Int32(MSG_DONTWAIT)) > 0 {}
            Glibc.close(fd)
        }
    }

    /// Stops accepting, lets requests in progress finish for up to `gracePeriod` seconds
    /// (idle keep-alive connections close at once, busy ones after their current response),
    /// then closes whatever is left. Blocks until every connection is closed.
    public func shutdown(gracePeriod: Double = 10) {
        condition.lock()
        guard state == .running || state == .idle else { condition.unlock(); return }
        state = .stopping
        listenSource?.cancel()
        listenSource = nil
        let open = Array(connections.values)
        condition.unlock()
        for connection in open { connection.loop.execute { connection.beginShutdown() } }
        if !waitForConnections(until: Date(timeIntervalSinceNow: gracePeriod)) {
            condition.lock()
            let stragglers = Array(connections.values)
            condition.unlock()
            for connection in stragglers { connection.loop.execute { connection.close() } }
            _ = waitForConnections(until: Date(timeIntervalSinceNow: 2))
        }
        condition.lock()
        state = .stopped
        condition.unlock()
    }

    private func waitForConnections(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !connections.isEmpty {
            if !condition.wait(until: deadline) { return connections.isEmpty }
        }
        return true
    }

    func connectionClosed(_ connection: HTTPConnection) {
        condition.lock()
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil, let client = connection.client {
            let open = connectionsPerClient[client, default: 1] - 1
            connectionsPerClient[client] = open > 0 ? open : nil
        }
        condition.broadcast()
        condition.unlock()
    }

    var recordsExchanges: Bool { configuration.accessLog != nil || !configuration.observers.isEmpty }

    func record(_ record: HTTPAccessRecord) {
        configuration.accessLog?.log(record)
        for observer in configuration.observers { observer(record) }
    }

    /// The response for an error thrown by a hook or handler: its own response when it has
    /// one, otherwise a 500 whose cause goes to the error log (never to the client).
    func response(for error: Error, request: HTTPRequest) -> HTTPResponse {
        if let convertible = error as? HTTPResponseConvertible { return convertible.httpResponse }
        configuration.errorLog?("request \(request.id) \(request.method) \(request.rawPath) failed: \(error)")
        return HTTPError.internalError.response
    }
}
