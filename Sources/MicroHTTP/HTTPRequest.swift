/// A complete request as a handler sees it: head, body (already un-gzipped), the route that
/// matched and its path parameters, and the id that the response and the access log carry.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request-target as received.
    public var target: String
    /// The path of the target percent-decoded once ("/v1/jobs/job 1" for "/v1/jobs/job%201"):
    /// what the router matches and what hooks must check. For an absolute-form target
    /// (RFC 9112 §3.2.2) the scheme and authority are removed. When the path is refused
    /// (`pathError`), this is `rawPath`.
    public internal(set) var path: String
    /// The path as received, still percent-encoded; for logs, never for decisions.
    public internal(set) var rawPath: String
    /// The decoded segments of `path` (`HTTPRequestPath`); empty for "/" or a refused path.
    public internal(set) var pathSegments: [String]
    /// Why the path is refused (400), nil when it decoded cleanly. The router answers it before
    /// any hook or handler runs.
    public internal(set) var pathError: HTTPError?
    /// The query of the target without "?", still encoded; nil when there is none.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Values of the `{name}` segments of the matched route, percent-decoded.
    public var pathParameters: [String: String]
    /// The pattern of the matched route ("/v1/jobs/{id}"), nil before routing or when no route
    /// matched. Metrics count by this rather than by path, which would be unbounded.
    public var route: String?
    /// The request id: the client's `X-Request-Id` when it is safe to echo, else generated.
    public var id: String
    /// "ip:port" of the peer, nil for sockets without an address (a socketpair).
    public var remoteAddress: String?
    /// Values that hooks pass on to handlers (an authenticated principal, say).
    public var attributes: [String: String]
    /// Whether the client allows the connection to stay open after this request.
    public var keepAlive: Bool
    /// The consumer that took the body as it arrived, for a route that streams its body
    /// (`HTTPRouter.add(_:_:body:_:)`); `body` is then empty. Handlers read their result from it.
    public internal(set) var bodyConsumer: (any HTTPBodyConsumer)?
    /// Whether `bodyConsumer` has had the whole body and its `finish`.
    var bodyConsumed = false
    /// Set once `HTTPRouter.admit` has passed the request (the server does it when the head
    /// arrives), so `respond(to:)` does not run the head stage again.
    var admitted = false

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], id: String = "",
        remoteAddress: String? = nil, keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.id = id
        self.remoteAddress = remoteAddress
        self.keepAlive = keepAlive
        self.pathParameters = [:]
        self.route = nil
        self.attributes = [:]
        let (rawPath, query) = HTTPRequest.split(target: target)
        self.rawPath = rawPath
        self.query = query
        do {
            let decoded = try HTTPRequestPath.decode(rawPath)
            self.pathSegments = decoded.segments
            self.path = decoded.description
            self.pathError = nil
        } catch {
            self.pathSegments = []
            self.path = rawPath
            self.pathError = error as? HTTPError ?? .invalidPath(path: rawPath, reason: "it cannot be decoded")
        }
    }

    /// Splits origin-form or absolute-form into path and query (RFC 9112 §3.2.1, §3.2.2).
    /// Works on UTF-8 code units: targets are ASCII, and Character-based slicing would run
    /// grapheme breaking on every request.
    static func split(target: String) -> (path: String, query: String?) {
        let utf8 = target.utf8
        var start = utf8.startIndex
        if utf8.first != 0x2F, target != "*", let scheme = target.range(of: "://") {
            // Absolute-form: drop "scheme://authority".
            start = utf8[scheme.upperBound...].firstIndex { $0 == 0x2F || $0 == 0x3F } ?? utf8.endIndex
        }
        var end = utf8[start...].firstIndex(of: 0x23) ?? utf8.endIndex
        var query: String?
        if let mark = utf8[start..<end].firstIndex(of: 0x3F) {
            query = String(target[utf8.index(after: mark)..<end])
            end = mark
        }
        if start == utf8.startIndex && end == utf8.endIndex && utf8.first == 0x2F { return (target, query) }
        let path = String(target[start..<end])
        return (path.utf8.first == 0x2F ? path : "/" + path, query)
    }

    /// A body as UTF-8 text (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
