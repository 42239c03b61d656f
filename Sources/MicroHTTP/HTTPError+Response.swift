/// The one place where errors become HTTP responses.
extension HTTPError {
    /// The JSON error response, with `Allow` for 405 (RFC 9110 §15.5.6) and `Retry-After` for
    /// 503 and 429 (RFC 9110 §10.2.3, RFC 6585 §4).
    public var response: HTTPResponse {
        var headers = HTTPHeaders()
        switch self {
        case .methodNotAllowed(let allowed):
            headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", "))
        case .serviceUnavailable(let seconds), .tooManyConnections(_, let seconds):
            headers.add("Retry-After", String(seconds))
        default:
            break
        }
        return .error(status, code: code, message: message, headers: headers)
    }
}

/// An error type of a later layer that knows its own response; handlers may throw it and the
/// server sends `httpResponse` instead of a 500.
public protocol HTTPResponseConvertible: Error {
    var httpResponse: HTTPResponse { get }
}

extension HTTPError: HTTPResponseConvertible {
    public var httpResponse: HTTPResponse { response }
}
