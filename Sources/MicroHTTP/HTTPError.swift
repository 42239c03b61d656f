/// Everything that can go wrong between the bytes of a request and a handler, as one enum.
/// Each case knows its status, a stable snake_case code and a message that says what is wrong
/// and how to fix it; `HTTPError+Response.swift` turns it into the JSON error body.
public enum HTTPError: Error, Sendable, Equatable {
    /// Malformed syntax or framing (RFC 9112): the reason names the rule that was broken.
    case badRequest(String)
    /// An HTTP/1.1 request without a Host field (RFC 9112 §3.2).
    case missingHost
    /// The request line is longer than `HTTPLimits.maxRequestLineBytes`.
    case uriTooLong(limit: Int)
    /// The header (or trailer) section is larger than `HTTPLimits.maxHeaderSectionBytes`.
    case headerSectionTooLarge(limit: Int)
    /// The header (or trailer) section has more than `HTTPLimits.maxHeaderFields` lines.
    case tooManyHeaderFields(limit: Int)
    /// The body, as framed or after inflating, is larger than the limit.
    case contentTooLarge(limit: Int)
    /// A POST or PUT with neither Content-Length nor Transfer-Encoding.
    case lengthRequired
    /// A protocol version other than HTTP/1.x (RFC 9110 §15.6.6).
    case versionNotSupported(String)
    /// A transfer coding other than chunked (RFC 9112 §6.1).
    case unsupportedTransferCoding(String)
    /// A content coding other than gzip or identity (RFC 9110 §15.5.16).
    case unsupportedContentEncoding(String)
    /// A gzip body that does not inflate.
    case invalidCompressedBody(String)
    /// The connection ended in the middle of a request.
    case truncated
    /// The request path has a dot, empty or encoded-slash segment, or a malformed escape
    /// (`HTTPRequestPath` lists the rules); `path` is the path as received.
    case invalidPath(path: String, reason: String)
    /// The header section or body did not arrive in time.
    case requestTimeout
    /// No route matches the path.
    case notFound(path: String)
    /// A route matches the path but not the method; `allowed` becomes the Allow field.
    case methodNotAllowed(allowed: [HTTPMethod])
    /// The server is at its connection limit or shutting down.
    case serviceUnavailable(retryAfterSeconds: Int)
    /// The client's address already holds `limit` open connections.
    case tooManyConnections(limit: Int, retryAfterSeconds: Int)
    /// A handler failed in a way the client cannot fix.
    case internalError

    public var status: HTTPStatus {
        switch self {
        case .badRequest, .missingHost, .truncated, .invalidCompressedBody, .invalidPath: return .badRequest
        case .uriTooLong: return .uriTooLong
        case .headerSectionTooLarge, .tooManyHeaderFields: return .requestHeaderFieldsTooLarge
        case .contentTooLarge: return .contentTooLarge
        case .lengthRequired: return .lengthRequired
        case .versionNotSupported: return .httpVersionNotSupported
        case .unsupportedTransferCoding: return .notImplemented
        case .unsupportedContentEncoding: return .unsupportedMediaType
        case .requestTimeout: return .requestTimeout
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .serviceUnavailable: return .serviceUnavailable
        case .tooManyConnections: return .tooManyRequests
        case .internalError: return .internalServerError
        }
    }

    public var code: String {
        switch self {
        case .badRequest: return "bad_request"
        case .missingHost: return "missing_host"
        case .uriTooLong: return "uri_too_long"
        case .headerSectionTooLarge: return "header_section_too_large"
        case .tooManyHeaderFields: return "too_many_header_fields"
        case .contentTooLarge: return "content_too_large"
        case .lengthRequired: return "length_required"
        case .versionNotSupported: return "http_version_not_supported"
        case .unsupportedTransferCoding: return "unsupported_transfer_coding"
        case .unsupportedContentEncoding: return "unsupported_content_encoding"
        case .invalidCompressedBody: return "invalid_compressed_body"
        case .truncated: return "truncated_request"
        case .invalidPath: return "invalid_path"
        case .requestTimeout: return "request_timeout"
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .serviceUnavailable: return "service_unavailable"
        case .tooManyConnections: return "too_many_connections"
        case .internalError: return "internal_error"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let reason):
            return "The request is malformed: \(reason)."
        case .missingHost:
            return "HTTP/1.1 requests need a Host header field; add one, e.g. 'Host: localhost'."
        case .uriTooLong(let limit):
            return "The request line is longer than \(limit) bytes; move long parameters into the request body."
        case .headerSectionTooLarge(let limit):
            return "The header section is larger than \(limit) bytes; send fewer or shorter header fields."
        case .tooManyHeaderFields(let limit):
            return "The request has more than \(limit) header fields; send fewer."
        case .contentTooLarge(let limit):
            return
                "The request body is larger than \(limit) bytes; send a smaller body or raise the server's body limit."
        case .lengthRequired:
            return "POST and PUT requests need Content-Length or 'Transfer-Encoding: chunked'; add one."
        case .versionNotSupported(let version):
            return "\(version) is not supported; send HTTP/1.1 (or HTTP/1.0)."
        case .unsupportedTransferCoding(let coding):
            return
                "The transfer coding '\(coding)' is not supported; send the body with Content-Length or 'Transfer-Encoding: chunked'."
        case .unsupportedContentEncoding(let coding):
            return
                "The content coding '\(coding)' is not supported; send the body uncompressed or with 'Content-Encoding: gzip'."
        case .invalidCompressedBody(let reason):
            return "The gzip request body could not be decompressed (\(reason)); check that it is valid gzip."
        case .truncated:
            return "The connection ended before the request was complete; send the whole request."
        case .invalidPath(let path, let reason):
            return "The request path '\(path)' is not accepted: \(reason)."
        case .requestTimeout:
            return
                "The request did not arrive in time; send the header section without pausing and the body at a steady rate."
        case .notFound(let path):
            return "No route matches '\(path)'; check the path against the API reference."
        case .methodNotAllowed(let allowed):
            return
                "This route does not support that method; use one of: \(allowed.map(\.rawValue).joined(separator: ", "))."
        case .serviceUnavailable(let seconds):
            return "The server is busy; retry after \(seconds) second\(seconds == 1 ? "" : "s")."
        case .tooManyConnections(let limit, let seconds):
            return
                "Your address already holds \(limit) open connections to this server; reuse them, or retry after \(seconds) second\(seconds == 1 ? "" : "s")."
        case .internalError:
            return "The server failed to handle the request; this is a bug, please report it with the request id."
        }
    }

    /// Errors found while decoding leave the byte stream in an unknown state, so the
    /// connection is closed after answering (RFC 9112 §6.3: framing errors are unrecoverable).
    public var closesConnection: Bool {
        switch self {
        case .notFound, .methodNotAllowed, .internalError, .unsupportedContentEncoding, .invalidCompressedBody,
            .invalidPath:
            return false
        default:
            return true
        }
    }
}
