/// Maps method and path to a handler. Built once before the server starts (it is a value, so
/// a running server never sees it change) and usable without sockets: `respond(to:)` is the
/// whole request pipeline except I/O.
///
/// Pipeline, in two stages:
/// 1. The head stage (`admit`), which the server runs as soon as a request's header section
///    has arrived, before any body byte is read or `100 Continue` is sent: a path that does not
///    decode cleanly is a 400 (`HTTPRequestPath`); the route is matched on the decoded
///    segments (filling `request.route` and `pathParameters`); the `beforeBody` hooks run in
///    order. A hook that answers ends the request from its head, so a request that is going to
///    be refused (no credentials, say) never costs the server its body.
///    A route added with a body consumer (`add(_:_:body:_:)`) gets it made here, once the hooks
///    have passed the head; the server then streams the body into it as it arrives.
/// 2. With the body in: the `before` hooks run in order, then 404 for an unknown path, 405
///    with `Allow` for a known path and another method, or the handler.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    /// Runs before the handler; may change the request or answer it.
    public typealias Hook = @Sendable (inout HTTPRequest) throws -> HTTPResponse?

    struct Route: Sendable {
        let pattern: HTTPRoutePattern
        var handlers: [HTTPMethod: Handler]
        var bodyConsumers: [HTTPMethod: HTTPBodyConsumerFactory] = [:]
    }

    private(set) var routes: [Route] = []
    private var hooks: [Hook] = []
    private var headHooks: [Hook] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        let parsed = HTTPRoutePattern(pattern)
        if let index = routes.firstIndex(where: { $0.pattern.segments == parsed.segments }) {
            routes[index].handlers[method] = handler
            return
        }
        routes.append(Route(pattern: parsed, handlers: [method: handler]))
        // Most specific first, so the first match is the right one (stable for equal ones).
        routes = routes.enumerated().sorted { lhs, rhs in
            if lhs.element.pattern.isMoreSpecific(than: rhs.element.pattern) { return true }
            if rhs.element.pattern.isMoreSpecific(than: lhs.element.pattern) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// A route whose body streams into a consumer as it arrives (`HTTPBodyConsumer`) instead
    /// of being buffered whole: `body` makes the consumer when the head is admitted, `handler`
    /// runs once it has had the whole body.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, body: @escaping HTTPBodyConsumerFactory,
        _ handler: @escaping Handler
    ) {
        add(method, pattern, handler)
        let segments = HTTPRoutePattern(pattern).segments
        if let index = routes.firstIndex(where: { $0.pattern.segments == segments }) {
            routes[index].bodyConsumers[method] = body
        }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add(.post, pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add(.put, pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add(.patch, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add(.delete, pattern, handler) }

    /// Adds a hook that runs before every handler (and before 404/405), in the order added,
    /// once the body has been read.
    public mutating func before(_ hook: @escaping Hook) { hooks.append(hook) }

    /// Adds a hook that runs on the head alone, in the order added: the request it sees has
    /// its decoded path, route and headers but an empty body. Authentication belongs here.
    /// On a server these hooks run on the event loop, so they must be quick and never block.
    public mutating func beforeBody(_ hook: @escaping Hook) { headHooks.append(hook) }

    public enum Match {
        case found(pattern: String, parameters: [String: String], handler: Handler)
        case methodNotAllowed(pattern: String, allowed: [HTTPMethod])
        case notFound
    }

    /// Matches a path as received (percent-encoded); a path that `HTTPRequestPath` refuses
    /// matches nothing.
    public func match(_ method: HTTPMethod, path: String) -> Match {
        guard let decoded = try? HTTPRequestPath.decode(path) else { return .notFound }
        return match(method, segments: decoded.segments)
    }

    func match(_ method: HTTPMethod, segments: [String]) -> Match {
        for route in routes {
            guard let parameters = route.pattern.match(segments) else { continue }
            // RFC 9110 §9.3.2: HEAD is GET without the body, so a GET route answers HEAD.
            if let handler = route.handlers[method] ?? (method == .head ? route.handlers[.get] : nil) {
                return .found(pattern: route.pattern.text, parameters: parameters, handler: handler)
            }
            var allowed = Array(route.handlers.keys)
            if allowed.contains(.get) && !allowed.contains(.head) { allowed.append(.head) }
            return .methodNotAllowed(pattern: route.pattern.text, allowed: allowed.sorted { $0.rawValue < $1.rawValue })
        }
        return .notFound
    }

    /// The head stage: refuses a bad path, records the matched route in `request` and runs the
    /// `beforeBody` hooks. Nil means go on and read the body; a response ends the request.
    public func admit(_ request: inout HTTPRequest) throws -> HTTPResponse? {
        request.admitted = true
        if let error = request.pathError { throw error }
        var consumerFactory: HTTPBodyConsumerFactory?
        switch match(request.method, segments: request.pathSegments) {
        case .found(let pattern, let parameters, _):
            request.route = pattern
            request.pathParameters = parameters
            consumerFactory = routes.first { $0.pattern.text == pattern }?.bodyConsumers[request.method]
        case .methodNotAllowed(let pattern, _):
            request.route = pattern
        case .notFound:
            break
        }
        for hook in headHooks {
            if let response = try hook(&request) { return response }
        }
        if let consumerFactory { request.bodyConsumer = consumerFactory(request) }
        return nil
    }

    /// Routes `request` (running the head stage first unless the server already has),
    /// recording the matched pattern and parameters in it.
    public func respond(to request: inout HTTPRequest) throws -> HTTPResponse {
        if !request.admitted, let response = try admit(&request) { return response }
        if let error = request.pathError { throw error }
        // A request built in memory: its consumer takes the whole body at once.
        if let consumer = request.bodyConsumer, !request.bodyConsumed {
            request.bodyConsumed = true
            if !request.body.isEmpty { _ = request.body.withUnsafeBytes { consumer.consume($0) } }
            request.body = []
            consumer.finish()
        }
        for hook in hooks {
            if let response = try hook(&request) { return response }
        }
        switch match(request.method, segments: request.pathSegments) {
        case .found(_, _, let handler): return try handler(request)
        case .methodNotAllowed(_, let allowed): throw HTTPError.methodNotAllowed(allowed: allowed)
        case .notFound: throw HTTPError.notFound(path: request.path)
        }
    }

    public func respond(to request: HTTPRequest) throws -> HTTPResponse {
        var request = request
        return try respond(to: &request)
    }
}
