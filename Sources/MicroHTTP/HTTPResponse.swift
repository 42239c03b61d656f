import Foundation

/// What a handler returns: a status, header fields and a body that is either bytes (sent with
/// Content-Length) or a stream (sent chunked as the producer writes). A handler that needs to
/// do slow work returns `.deferred` and answers later from any thread.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Called once on the connection's event loop after the head is queued. The producer must
        /// not block: it hands the writer to whatever produces data and returns.
        case stream(@Sendable (HTTPStreamWriter) -> Void)
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// Set by `deferred(_:)`: the connection passes a responder to it instead of sending.
    var deferredWork: (@Sendable (HTTPResponder) -> Void)?
    /// Set by `HTTPCompression.encode` once the content coding is decided, so a body
    /// compressed off the loop is not looked at again.
    var codingDecided = false
    /// The coding depends on Accept-Encoding, so the response says `Vary: Accept-Encoding`.
    var varyAcceptEncoding = false

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body bytes, or nil for a streamed body.
    public var bodyBytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }

    public var bodyText: String? { bodyBytes.map { String(decoding: $0, as: UTF8.self) } }

    public var isDeferred: Bool { deferredWork != nil }

    /// A JSON body that is already serialized.
    public static func json(
        _ status: HTTPStatus = .ok, _ json: [UInt8], headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: json)
    }

    public static func json(
        _ status: HTTPStatus = .ok, _ json: String, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        .json(status, Array(json.utf8), headers: headers)
    }

    /// A JSON body encoded from `value` (snake_case keys are up to the caller's CodingKeys).
    public static func json<Value: Encodable>(
        _ status: HTTPStatus = .ok, encoding value: Value, encoder: JSONEncoder = JSONEncoder(),
        headers: HTTPHeaders = HTTPHeaders()
    ) throws -> HTTPResponse {
        .json(status, Array(try encoder.encode(value)), headers: headers)
    }

    public static func text(
        _ status: HTTPStatus = .ok, _ text: String, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    public static func noContent() -> HTTPResponse { HTTPResponse(status: .noContent) }

    /// A chunked response whose body `producer` writes over time (large downloads).
    public static func stream(
        _ status: HTTPStatus = .ok, contentType: String, headers: HTTPHeaders = HTTPHeaders(),
        producer: @escaping @Sendable (HTTPStreamWriter) -> Void
    ) -> HTTPResponse {
        var headers = headers
        headers.set("Content-Type", contentType)
        return HTTPResponse(status: status, headers: headers, body: .stream(producer))
    }

    /// A `text/event-stream` response (server-sent events); write events with
    /// `HTTPStreamWriter.sendEvent`. Proxies are told not to buffer or cache it.
    public static func eventStream(
        headers: HTTPHeaders = HTTPHeaders(), producer: @escaping @Sendable (HTTPStreamWriter) -> Void
    ) -> HTTPResponse {
        var headers = headers
        headers.set("Cache-Control", "no-cache")
        headers.set("X-Accel-Buffering", "no")
        return .stream(contentType: "text/event-stream", headers: headers, producer: producer)
    }

    /// A response produced later: `work` receives a responder that may be called from any
    /// thread, once. Requests behind this one on the connection wait for it (RFC 9112 §9.3.2:
    /// responses go out in request order).
    public static func deferred(_ work: @escaping @Sendable (HTTPResponder) -> Void) -> HTTPResponse {
        var response = HTTPResponse(status: .ok)
        response.deferredWork = work
        return response
    }

    /// The error body of API.md: `{"error": {"code", "message"[, "path"]}}`.
    public static func error(
        _ status: HTTPStatus, code: String, message: String, path: String? = nil, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var json = "{\"error\":{\"code\":" + jsonString(code) + ",\"message\":" + jsonString(message)
        if let path { json += ",\"path\":" + jsonString(path) }
        json += "}}"
        return .json(status, json, headers: headers)
    }
}

/// A JSON string literal for `text` (RFC 8259 §7), escaping quotes, backslashes and controls.
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

extension HTTPResponse {
    /// A deferred response computed by an async function (Swift concurrency).
    public static func task(_ work: @escaping @Sendable () async throws -> HTTPResponse) -> HTTPResponse {
        .deferred { responder in
            Task {
                do { responder.respond(try await work()) } catch { responder.fail(error) }
            }
        }
    }
}
