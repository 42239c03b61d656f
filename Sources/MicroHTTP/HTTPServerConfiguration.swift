import Dispatch

/// Everything a server needs to know before it starts.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal ("127.0.0.1", "::1", "0.0.0.0", "::") or a name.
    public var host: String
    /// Port to bind; 0 picks a free one (read it back from `HTTPServer.port`).
    public var port: Int
    /// Head hooks (`HTTPRouter.beforeBody`) run on the connection's event loop thread (one
    /// loop per core, shared by all connections). Body hooks and handlers run there too unless
    /// `handlerQueue` is set or the body must be inflated (then on `workPool`). On the loop, a
    /// handler that blocks (disk, database, training) must return `.deferred` and do the work
    /// elsewhere (on a `HTTPWorkPool`), or it holds up every other connection of its loop.
    public var router: HTTPRouter
    /// When set, hooks and handlers run on this queue at the cost of two thread hops per
    /// request. A concurrent queue runs about one handler per core at once (Dispatch's pool
    /// width on Linux), so handlers may block briefly (a database call) without holding up
    /// the event loops; long work still belongs in `.deferred` or `.task`.
    public var handlerQueue: DispatchQueue?
    /// Where the server itself does slow work off the loops: inflating gzip request bodies
    /// and compressing large response bodies.
    public var workPool: HTTPWorkPool
    public var limits: HTTPLimits
    /// Connections served at once. Beyond it a new connection gets 503 with Retry-After and is
    /// closed, so an overload degrades into fast refusals instead of timeouts.
    public var maxConnections: Int
    /// Connections one client address (IP, whatever the port) may hold open at once, so one
    /// client cannot take all of `maxConnections`. Beyond it: 429 with Retry-After, then close.
    public var maxConnectionsPerClient: Int
    public var retryAfterSeconds: Int
    public var backlog: Int32
    public var compression: HTTPCompression
    /// The access log; nil silences it (tests, benchmarks).
    public var accessLog: HTTPAccessLog?
    /// Called once per finished exchange on the connection's event loop (metrics); must not
    /// block, and may run on several loops at once.
    public var observers: [@Sendable (HTTPAccessRecord) -> Void]
    /// Where handler failures that become 500s are described; nil silences them.
    public var errorLog: (@Sendable (String) -> Void)?
    /// Response (and trusted request) header carrying the request id; nil leaves it out.
    public var requestIDHeader: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, router: HTTPRouter = HTTPRouter(),
        limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 1024, retryAfterSeconds: Int = 1,
        backlog: Int32 = 1024, compression: HTTPCompression = HTTPCompression(),
        accessLog: HTTPAccessLog? = .standardError,
        observers: [@Sendable (HTTPAccessRecord) -> Void] = [],
        errorLog: (@Sendable (String) -> Void)? = { HTTPAccessLog.standardError.sink($0) },
        requestIDHeader: String? = "X-Request-Id", handlerQueue: DispatchQueue? = nil,
        maxConnectionsPerClient: Int = 64, workPool: HTTPWorkPool = .shared
    ) {
        self.host = host
        self.port = port
        self.router = router
        self.limits = limits
        self.maxConnections = maxConnections
        self.retryAfterSeconds = retryAfterSeconds
        self.backlog = backlog
        self.compression = compression
        self.accessLog = accessLog
        self.observers = observers
        self.errorLog = errorLog
        self.requestIDHeader = requestIDHeader
        self.handlerQueue = handlerQueue
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.workPool = workPool
    }
}
