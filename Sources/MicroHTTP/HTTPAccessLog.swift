import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One finished exchange, as observers (access log, metrics) see it.
public struct HTTPAccessRecord: Sendable {
    public var method: HTTPMethod?
    /// The path, or "-" when the request line could not be read.
    public var path: String
    /// The matched route pattern, nil when none matched.
    public var route: String?
    public var status: Int
    /// Body bytes sent (after compression; excluding the head).
    public var bytes: Int
    /// Seconds from the end of the request head to the response being queued in full.
    public var duration: Double
    public var requestID: String
    public var remoteAddress: String?

    public init(
        method: HTTPMethod?, path: String, route: String?, status: Int, bytes: Int, duration: Double, requestID: String,
        remoteAddress: String?
    ) {
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.bytes = bytes
        self.duration = duration
        self.requestID = requestID
        self.remoteAddress = remoteAddress
    }
}

/// Writes one line per request to a sink:
/// `2026-01-02T03:04:05.678Z 127.0.0.1:5000 GET /v1/jobs 200 123B 0.412ms id=…`.
public struct HTTPAccessLog: Sendable {
    public let sink: @Sendable (String) -> Void

    public init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Lines go to standard error with one write(2) each, so concurrent lines never interleave.
    public static let standardError = HTTPAccessLog { line in
        let text = line + "\n"
        text.withCString { _ = Glibc.write(2, $0, strlen($0)) }
    }

    public func log(_ record: HTTPAccessRecord) {
        let milliseconds = (record.duration * 1e6).rounded() / 1e3
        sink(
            "\(Self.timestamp()) \(record.remoteAddress ?? "-") \(record.method?.rawValue ?? "-") \(record.path) \(record.status) \(record.bytes)B \(milliseconds)ms id=\(record.requestID)"
        )
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 32)
        strftime(&text, text.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = Int(spec.tv_nsec / 1_000_000)
        return String(nulTerminated: text) + "." + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis) + "Z"
    }
}

/// The IMF-fixdate for the Date field (RFC 9110 §5.6.7), recomputed at most once a second.
struct HTTPDateCache {
    private var second = 0
    private var text = ""

    mutating func current() -> String {
        var now = time(nil)
        if now != second || text.isEmpty {
            second = now
            var parts = tm()
            gmtime_r(&now, &parts)
            var buffer = [CChar](repeating: 0, count: 40)
            strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            text = String(nulTerminated: buffer)
        }
        return text
    }
}
