import Foundation
import MicroHTTP
import NNCore

/// The service: the store, the training queue, job events and the model cache, and the
/// routes of docs/API.md over them.
public final class ServiceApp: @unchecked Sendable {
    // `@unchecked Sendable`: every stored property is immutable and itself thread-safe.
    public struct Options: Sendable {
        public var apiToken: String?
        public var threadsPerPrediction = 1
        public var openAPIPath: String?
        public var maxParameters = 50_000_000
        public var maxEpochs = 100_000
        public var maxQueuedJobs = 1_000
        /// Handlers that run at once (`ServiceApp.work`); the rest wait in order.
        public var handlerThreads = ServiceApp.defaultHandlerThreads
        /// The memory budget of one training job or one predict request (`NN_MAX_MEMORY`).
        public var maxMemoryBytes = MemoryBudget.defaultLimit()

        public init() {}
    }

    public let store: any ServiceStorage
    public let queue: JobQueue
    public let events: JobEvents
    public let options: Options
    public let metrics = ServiceMetrics()
    let models: ModelCache
    let log: @Sendable (String) -> Void
    /// The store's sweeps: every store in this module keeps them (SQLite and PostgreSQL).
    let sweepStore: any SweepStorage
    /// Runs sweeps from the store. Assigned once at the end of `init`, before the app is shared
    /// (its job check needs the finished app).
    private(set) var sweeps: SweepController!

    public init(store: any ServiceStorage, queue: JobQueue, options: Options, log: @escaping @Sendable (String) -> Void)
    {
        self.store = store
        self.queue = queue
        self.events = queue.events
        self.options = options
        self.models = ModelCache(store: store)
        self.log = log
        self.work = HTTPWorkPool(name: "nn.handler", threads: options.handlerThreads)
        guard let sweepStore = store as? any SweepStorage else {
            preconditionFailure("\(type(of: store)) does not implement SweepStorage, which every store must")
        }
        self.sweepStore = sweepStore
        self.sweeps = SweepController(
            store: sweepStore, queue: queue, maxQueuedJobs: options.maxQueuedJobs,
            validate: { [weak self] body in
                guard let self else { throw ServiceError(503, "stopping", "the server is stopping") }
                return try self.validateJob(body, text: try body.jsonBytes)
            }, log: log)
    }

    /// Starts running sweeps (after `queue.start()`, so that resumed trials are queued first).
    public func start() { sweeps.start() }

    /// Stops running sweeps; call before `queue.stop`.
    public func stop() { sweeps.stop() }

    /// Open sweep event streams.
    public var sweepListenerCount: Int { sweeps.events.listenerCount }

    /// Every route, with the token check on each request's head: it sees the decoded path
    /// the router matches, and runs before any body byte is read.
    public func router() -> HTTPRouter {
        var router = HTTPRouter()
        if let token = options.apiToken { router.beforeBody(BearerAuth(token: token).hook) }
        addOperationsRoutes(&router)
        addDatasetRoutes(&router)
        addModelRoutes(&router)
        addJobRoutes(&router)
        addSweepRoutes(&router)
        addDashboardRoutes(&router)
        return router
    }

    /// The routes of a worker process (`NN_ROLE=worker`): `/healthz`, `/readyz`, `/metrics`.
    public func workerRouter() -> HTTPRouter {
        var router = HTTPRouter()
        addOperationsRoutes(&router)
        return router
    }

    /// Where every handler that touches the store, parses a body or predicts runs, so that the
    /// HTTP event loops only move bytes and `/healthz` answers while a large predict runs.
    ///
    /// A bounded pool rather than a concurrent DispatchQueue: handlers that block on the
    /// database make Dispatch add threads without limit, and each running predict holds its
    /// parsed input and output in memory; with a fixed width, a burst of heavy requests
    /// queues (in arrival order) instead of oversubscribing the cores and the memory.
    let work: HTTPWorkPool

    /// Twice the cores, at least 4: enough that a few long predictions leave threads for
    /// the short database reads, few enough to bound the memory of predictions in flight.
    public static var defaultHandlerThreads: Int { max(4, 2 * ProcessInfo.processInfo.activeProcessorCount) }

    /// Wraps a handler: it runs on `work`, and every error it throws becomes the API's error
    /// response.
    func handle(_ body: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) -> HTTPRouter.Handler {
        { [work, log] request in
            .deferred { responder in
                work.execute { responder.respond(Self.run(body, request, log: log)) }
            }
        }
    }

    /// Wraps a handler that runs on the event loop itself: only for constant answers that
    /// touch nothing (`/healthz`).
    func handleInline(_ body: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) -> HTTPRouter.Handler {
        { [log] request in Self.run(body, request, log: log) }
    }

    static func run(
        _ body: (HTTPRequest) throws -> HTTPResponse, _ request: HTTPRequest,
        log: (String) -> Void
    ) -> HTTPResponse {
        do {
            return try body(request)
        } catch {
            return ServiceError.response(for: error, log: log)
        }
    }

    /// A JSON response of an encodable value.
    static func reply<T: Encodable>(
        _ value: T, status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders()
    ) throws -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .json(status, [UInt8](try encoder.encode(value)), headers: headers)
    }
}

/// Request helpers shared by the routes.
extension HTTPRequest {
    /// The body parsed as JSON; 415 unless the content type is JSON, 400 if malformed.
    func jsonBody() throws -> JSONValue {
        let type = headers["Content-Type"]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") || type.isEmpty else {
            throw ServiceError(415, "unsupported_media_type", "send the body as application/json (got \(type))")
        }
        guard !body.isEmpty else { throw ServiceError.badJSON("the body is empty") }
        return try JSONParser.parse(body)
    }

    /// A PATCH body: a JSON merge patch (RFC 7396 §4 registers `application/merge-patch+json`),
    /// also accepted as plain JSON.
    func mergePatchBody() throws -> JSONValue {
        let type = headers["Content-Type"]?.lowercased() ?? ""
        guard type.hasPrefix("application/merge-patch+json") || type.hasPrefix("application/json") || type.isEmpty
        else {
            throw ServiceError(
                415, "unsupported_media_type",
                "send the body as application/merge-patch+json or application/json (got \(type.prefix(80)))")
        }
        guard !body.isEmpty else { throw ServiceError.badJSON("the body is empty") }
        return try JSONParser.parse(body)
    }

    /// The body decoded as a Codable type, after the strict parse (NaN and Infinity are 400).
    func decodeBody<T: Decodable>(_ type: T.Type) throws -> T {
        _ = try jsonBody()
        return try JSONDecoder().decode(T.self, from: Data(body))
    }

    func pathParameter(_ name: String) -> String { pathParameters[name] ?? "" }

    /// `?limit=` (1…1000, default 100) and `?after=`.
    func page() throws -> (limit: Int, after: String?) {
        var limit = 100
        if let text = queryValue("limit") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw ServiceError(400, "invalid_query", "limit must be an integer from 1 to 1000", path: "limit")
            }
            limit = value
        }
        let after = queryValue("after")
        if after == "" {
            throw ServiceError(
                400, "invalid_query", "after must be the cursor from a list's 'next'; leave it out for the first page",
                path: "after")
        }
        return (limit, after)
    }

    func optionalIntQuery(_ name: String) throws -> Int? {
        guard let text = queryValue(name) else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw ServiceError(400, "invalid_query", "\(name) must be a non-negative integer", path: name)
        }
        return value
    }
}

/// A page of items with the cursor of the next page.
struct ListPage<Item: Encodable>: Encodable {
    var items: [Item]
    var next: String?

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(items, forKey: "items")
        try c.encode(next, forKey: "next")
    }

    init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }

    init(items: [Item], limit: Int, id: (Item) -> String) {
        self.items = items
        self.next = items.count == limit ? items.last.map(id) : nil
    }
}

/// Bearer-token auth for `/v1` (RFC 6750 §3: 401 with `WWW-Authenticate`); the token is
/// compared in constant time so its prefix cannot be guessed by timing. It runs as a head
/// hook on the decoded path segments, the ones the router matches, so no spelling of
/// `/v1/...` (`/%761/...`, `/v%31/...`) reaches a handler without the token.
struct BearerAuth: Sendable {
    let token: String

    var hook: HTTPRouter.Hook {
        { [token] request in
            guard request.pathSegments.first == "v1" else { return nil }
            let presented = request.headers["Authorization"].flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ")
                    ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            if let presented, Self.constantTimeEqual(Array(presented.utf8), Array(token.utf8)) { return nil }
            var headers = HTTPHeaders()
            headers.set(
                "WWW-Authenticate",
                presented == nil ? "Bearer realm=\"nnserve\"" : "Bearer realm=\"nnserve\", error=\"invalid_token\"")
            return .error(
                .unauthorized, code: "unauthorized",
                message: presented == nil
                    ? "send Authorization: Bearer <token>; this server requires an API token"
                    : "the bearer token is not valid for this server",
                headers: headers)
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
