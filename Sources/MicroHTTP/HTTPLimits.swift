/// The sizes and times one connection may use. Every limit is inclusive: a value of exactly
/// the limit is accepted, one byte (or field) more is refused.
///
/// Sizes are checked while bytes arrive, so a client can never make the decoder buffer more than
/// `maxRequestLineBytes + maxHeaderSectionBytes` bytes of head, whatever it sends.
public struct HTTPLimits: Sendable, Equatable {
    /// Length of the request line without its CRLF (RFC 9112 §3). Longer lines get 414: the
    /// request-target is almost always what makes a request line long (RFC 9112 §3 asks for
    /// 414 when the target is longer than the server wants to parse).
    public var maxRequestLineBytes: Int
    /// Bytes of all field lines including their CRLFs, not counting the request line and the
    /// empty line that ends the section. Larger sections get 431 (RFC 6585 §5).
    public var maxHeaderSectionBytes: Int
    /// Number of field lines in the header section (and separately in a chunked trailer
    /// section). More get 431.
    public var maxHeaderFields: Int
    /// Bytes of request content as framed on the wire (after chunked decoding). A declared
    /// `Content-Length` above this is answered 413 before any of the body is read.
    public var maxBodyBytes: Int
    /// Bytes of request content after `Content-Encoding: gzip` is undone. A body that inflates
    /// past this (a zip bomb) is answered 413.
    public var maxInflatedBodyBytes: Int

    /// Seconds from the first byte of a request to the end of its header section. This is the
    /// total time, not the time between bytes, so a client sending one byte a second is closed.
    public var headerTimeout: Double
    /// Seconds the body may stall: the longest gap between two reads of body bytes. A 1 GiB
    /// upload may take as long as it needs while it keeps moving.
    public var bodyTimeout: Double
    /// The slowest average rate, in bytes per second, at which a body may arrive once
    /// `minBodyRateGracePeriod` seconds have passed since its head; a slower body is cut off
    /// with 408 and the connection closed. Against clients that trickle a byte now and then to
    /// keep `bodyTimeout` from firing and so hold a connection for ever. 0 turns it off.
    public var minBodyBytesPerSecond: Double
    /// Seconds from the end of the head before `minBodyBytesPerSecond` applies (a slow start,
    /// a client waiting for `100 Continue`).
    public var minBodyRateGracePeriod: Double
    /// Seconds a keep-alive connection may wait for its next request.
    public var idleTimeout: Double
    /// Seconds a response may wait for the client to accept more bytes.
    public var writeTimeout: Double
    /// Seconds to keep reading (and discarding) after answering an error and shutting down the
    /// write side, so that the client receives the answer instead of a reset (RFC 9112 §9.6).
    public var lingerTimeout: Double
    /// Seconds of silence after which an event stream (`text/event-stream`) gets a
    /// `: keep-alive` comment line, which clients ignore (HTML Living Standard, "Parsing an event
    /// stream") but which keeps proxies and load balancers from closing an idle stream and
    /// lets the server notice a client that has gone. 0 turns it off.
    public var eventStreamKeepAliveInterval: Double

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderSectionBytes: Int = 64 * 1024,
        maxHeaderFields: Int = 100,
        maxBodyBytes: Int = 1 << 30,
        maxInflatedBodyBytes: Int? = nil,
        headerTimeout: Double = 10,
        bodyTimeout: Double = 30,
        minBodyBytesPerSecond: Double = 1024,
        minBodyRateGracePeriod: Double = 10,
        idleTimeout: Double = 60,
        writeTimeout: Double = 30,
        lingerTimeout: Double = 2,
        eventStreamKeepAliveInterval: Double = 15
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderSectionBytes = maxHeaderSectionBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxBodyBytes = maxBodyBytes
        self.maxInflatedBodyBytes = maxInflatedBodyBytes ?? maxBodyBytes
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.minBodyRateGracePeriod = minBodyRateGracePeriod
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.lingerTimeout = lingerTimeout
        self.eventStreamKeepAliveInterval = eventStreamKeepAliveInterval
    }
}
