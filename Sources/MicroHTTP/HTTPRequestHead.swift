/// The request line and header section of one request, with what the decoder concluded from
/// them: how the body is framed and whether the connection stays open.
public struct HTTPRequestHead: Sendable, Equatable {
    /// How the request content is delimited on the wire (RFC 9112 §6.3).
    public enum BodyFraming: Sendable, Equatable {
        case none
        case contentLength(Int)
        case chunked
    }

    public var method: HTTPMethod
    /// The request-target exactly as received (RFC 9112 §3.2).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// False when the client asked to close (`Connection: close`, or HTTP/1.0 without
    /// `Connection: keep-alive`; RFC 9112 §9.3).
    public var keepAlive: Bool
    /// The client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(), framing: BodyFraming = .none,
        keepAlive: Bool = true, expectsContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// True when a body follows the head.
    public var hasBody: Bool {
        switch framing {
        case .none: return false
        case .contentLength(let length): return length > 0
        case .chunked: return true
        }
    }
}
