/// When responses are gzip-compressed: the client accepts gzip (RFC 9110 §12.5.3), the body is
/// large enough to gain from it, and its media type is text-like (images and archives are
/// already compressed).
public struct HTTPCompression: Sendable {
    public var enabled: Bool
    /// Smaller bodies are sent as they are: gzip adds ~20 bytes and costs CPU for little gain.
    public var minimumBytes: Int
    /// zlib level; 6 is zlib's default balance of speed and size.
    public var level: Int32

    public init(enabled: Bool = true, minimumBytes: Int = 1024, level: Int32 = 6) {
        self.enabled = enabled
        self.minimumBytes = minimumBytes
        self.level = level
    }

    /// Bodies at least this large are compressed on the work pool rather than on an event
    /// loop: at zlib level 6 (tens of MB/s) 64 KiB costs about a millisecond.
    static let offLoopBytes = 64 * 1024

    /// Decides the content coding of `response` for a client that sent `acceptEncoding`,
    /// gzip-compressing its body when that pays. Pure CPU work on the response alone, so it
    /// runs on whichever thread holds the response; calling it again does nothing.
    func encode(_ response: inout HTTPResponse, acceptEncoding: String?) {
        guard !response.codingDecided else { return }
        response.codingDecided = true
        guard enabled, case .bytes(let body) = response.body, let type = response.headers["Content-Type"],
            Self.isCompressible(type)
        else { return }
        // RFC 9110 §12.5.5: a response whose coding depends on Accept-Encoding says so.
        response.varyAcceptEncoding = true
        guard shouldCompress(response, bodyCount: body.count, acceptEncoding: acceptEncoding) else { return }
        let compressed = Gzip.compress(body, level: level)
        if !compressed.isEmpty && compressed.count < body.count {
            response.body = .bytes(compressed)
            response.headers.set("Content-Encoding", "gzip")
        }
    }

    /// True when `encode` would compress a body large enough to keep off the event loops.
    func isExpensive(_ response: HTTPResponse, acceptEncoding: String?) -> Bool {
        guard !response.codingDecided, case .bytes(let body) = response.body, body.count >= Self.offLoopBytes else {
            return false
        }
        return shouldCompress(response, bodyCount: body.count, acceptEncoding: acceptEncoding)
    }

    func shouldCompress(_ response: HTTPResponse, bodyCount: Int, acceptEncoding: String?) -> Bool {
        guard enabled, bodyCount >= minimumBytes, response.status.allowsContent,
            response.headers["Content-Encoding"] == nil,
            let contentType = response.headers["Content-Type"], Self.isCompressible(contentType)
        else { return false }
        return Self.acceptsGzip(acceptEncoding)
    }

    /// True when `Accept-Encoding` gives gzip (or x-gzip, or `*` when gzip is not named) a
    /// non-zero quality (RFC 9110 §12.5.3, §12.4.2).
    public static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var wildcard: Bool?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingOWS().lowercased()
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingOWS()
                if pair.lowercased().hasPrefix("q=") { quality = Double(pair.dropFirst(2)) ?? 0 }
            }
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { wildcard = quality > 0 }
        }
        return wildcard ?? false
    }

    public static func isCompressible(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }
        let type = contentType.split(separator: ";").first.map { $0.trimmingOWS().lowercased() } ?? ""
        if type == "text/event-stream" { return false }
        return type.hasPrefix("text/") || type == "application/json" || type.hasSuffix("+json")
            || type == "application/javascript" || type == "application/xml" || type.hasSuffix("+xml")
            || type == "application/x-ndjson" || type == "application/yaml" || type == "image/svg+xml"
            || type == "application/openapi+yaml"
    }
}
