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
