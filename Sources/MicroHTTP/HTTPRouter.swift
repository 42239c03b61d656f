/// Maps method and path to a handler. Built once before the server starts (it is a value, so
/// a running server never sees it change) and usable without sockets: `respond(to:)` is the
/// whole request pipeline except I/O.
///
/// Pipeline: match the route (filling `request.route` and `pathParameters`), run the
/// `before` hooks in order (auth: a hook that returns a response ends the request there), then
/// answer 404 for an unknown path, 405 with `Allow` for a known path and another method, or
/// call the handler.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    /// Runs before the handler; may change the request or answer it.
    public typealias Hook = @Sendable (inout HTTPRequest) throws -> HTTPResponse?

    struct Route: Sendable {
        let pattern: HTTPRoutePattern
        var handlers: [HTTPMethod: Handler]
    }

    private(set) var routes: [Route] = []
    private var hooks: [Hook] = []

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

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add(.get, pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add(.post, pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add(.put, pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add(.patch, pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add(.delete, pattern, handler) }

    /// Adds a hook that runs before every handler (and before 404/405), in the order added.
    public mutating func before(_ hook: @escaping Hook) { hooks.append(hook) }

    public enum Match {
        case found(pattern: String, parameters: [String: String], handler: Handler)
        case methodNotAllowed(pattern: String, allowed: [HTTPMethod])
        case notFound
    }

    public func match(_ method: HTTPMethod, path: String) -> Match {
        let segments = HTTPRoutePattern.split(path)
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

    /// Routes `request`, recording the matched pattern and parameters in it.
    public func respond(to request: inout HTTPRequest) throws -> HTTPResponse {
        let match = match(request.method, path: request.path)
        switch match {
        case .found(let pattern, let parameters, _):
            request.route = pattern
            request.pathParameters = parameters
        case .methodNotAllowed(let pattern, _):
            request.route = pattern
        case .notFound:
            break
        }
        for hook in hooks {
            if let response = try hook(&request) { return response }
        }
        switch match {
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
