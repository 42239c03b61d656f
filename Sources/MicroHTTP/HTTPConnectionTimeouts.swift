/// The timeouts of one connection as a value-type state machine: the connection reports what
/// happened with the current time, and asks `check(now:)` what to do when its timer fires.
/// Times are nanoseconds on one monotonic clock, so tests drive it with a fake clock.
public struct HTTPConnectionTimeouts: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for the first byte of the next request (keep-alive).
        case idle
        /// Inside a request's head: the header timeout counts from its first byte.
        case readingHead
        /// Inside a body: the body timeout counts from the last body bytes, and after the grace
        /// period the average rate must stay above the minimum.
        case readingBody
        /// A response is being produced; reading is not timed.
        case responding
        /// After a final response: draining what the client still sends, for a short time.
        case lingering
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Idle too long: close without a response.
        case closeIdle
        /// A request stalled: answer 408 and close.
        case requestTimedOut
        /// The client stopped reading our response, or lingering ended: close at once.
        case abort
        /// An event stream has been silent for the keep-alive interval: send a comment line.
        case sendKeepAlive
    }

    public let limits: HTTPLimits
    public private(set) var phase: Phase = .idle
    public private(set) var readDeadline: UInt64?
    public private(set) var writeDeadline: UInt64?
    /// When an event stream next needs a keep-alive comment; nil when no event stream is open.
    public private(set) var keepAliveDeadline: UInt64?
    /// When the current body started (its head ended) and how many of its bytes have arrived.
    private var bodyStarted: UInt64 = 0
    private var bodyBytes = 0
    /// The body-stall deadline alone, before the rate deadline is folded in.
    private var stallDeadline: UInt64 = 0
    /// When the server stopped reading the body (its consumer was behind); nil while reading.
    private var pausedAt: UInt64?

    public init(limits: HTTPLimits, now: UInt64) {
        self.limits = limits
        readDeadline = now + Self.nanoseconds(limits.idleTimeout)
    }

    /// The earliest moment something may time out, nil when nothing can.
    public var nextDeadline: UInt64? {
        [readDeadline, writeDeadline, keepAliveDeadline].compactMap { $0 }.min()
    }

    /// `count` bytes of a request arrived.
    public mutating func received(now: UInt64, count: Int = 0) {
        switch phase {
        case .idle:
            phase = .readingHead
            readDeadline = now + Self.nanoseconds(limits.headerTimeout)
        case .readingBody:
            bodyBytes += count
            if pausedAt != nil { return }
            stallDeadline = now + Self.nanoseconds(limits.bodyTimeout)
            readDeadline = min(stallDeadline, rateDeadline)
        case .readingHead, .responding, .lingering:
            break
        }
    }

    /// The header section is complete; `bufferedBodyBytes` of the body came with it.
    public mutating func headReceived(now: UInt64, bodyFollows: Bool, bufferedBodyBytes: Int = 0) {
        guard phase != .lingering else { return }
        if bodyFollows {
            phase = .readingBody
            bodyStarted = now
            bodyBytes = bufferedBodyBytes
            stallDeadline = now + Self.nanoseconds(limits.bodyTimeout)
            readDeadline = min(stallDeadline, rateDeadline)
        } else {
            requestReceived()
        }
    }

    /// The server stopped reading the body because its consumer is behind: the client is not
    /// slow, so neither the stall nor the rate is timed until `bodyResumed`.
    public mutating func bodyPaused(now: UInt64) {
        guard phase == .readingBody, pausedAt == nil else { return }
        pausedAt = now
        readDeadline = nil
    }

    /// Reading resumed: the stall time counts from now, and the pause does not count against
    /// the body's average rate.
    public mutating func bodyResumed(now: UInt64) {
        guard let paused = pausedAt else { return }
        pausedAt = nil
        guard phase == .readingBody else { return }
        bodyStarted &+= now &- paused
        stallDeadline = now + Self.nanoseconds(limits.bodyTimeout)
        readDeadline = min(stallDeadline, rateDeadline)
    }

    /// The moment the body's average rate falls below the minimum if no more bytes arrive:
    /// `bodyBytes` last `bodyBytes / rate` seconds, and never less than the grace period.
    private var rateDeadline: UInt64 {
        guard limits.minBodyBytesPerSecond > 0 else { return .max }
        let covered = max(limits.minBodyRateGracePeriod, Double(bodyBytes) / limits.minBodyBytesPerSecond)
        return bodyStarted &+ Self.nanoseconds(covered)
    }

    /// The whole request is in; the handler runs without a read timeout.
    public mutating func requestReceived() {
        guard phase != .lingering else { return }
        pausedAt = nil
        phase = .responding
        readDeadline = nil
    }

    /// The response is complete. With bytes of the next request already buffered (pipelining)
    /// its header timeout starts now; otherwise the connection is idle.
    public mutating func responseCompleted(now: UInt64, nextRequestStarted: Bool) {
        guard phase != .lingering else { return }
        phase = nextRequestStarted ? .readingHead : .idle
        readDeadline = now + Self.nanoseconds(nextRequestStarted ? limits.headerTimeout : limits.idleTimeout)
    }

    /// The socket refused more bytes; the client must take them within the write timeout.
    public mutating func writeBlocked(now: UInt64) {
        if writeDeadline == nil { writeDeadline = now + Self.nanoseconds(limits.writeTimeout) }
    }

    /// The socket took bytes again.
    public mutating func writeProgressed(now: UInt64, stillBlocked: Bool) {
        writeDeadline = stillBlocked ? now + Self.nanoseconds(limits.writeTimeout) : nil
    }

    /// An event stream's head went out (`isEventStream`) or any streamed response started.
    public mutating func streamStarted(now: UInt64, isEventStream: Bool) {
        keepAliveDeadline =
            isEventStream && limits.eventStreamKeepAliveInterval > 0
            ? now + Self.nanoseconds(limits.eventStreamKeepAliveInterval) : nil
    }

    /// Bytes of the stream (an event, or a keep-alive comment) were queued.
    public mutating func streamWrote(now: UInt64) {
        if keepAliveDeadline != nil { keepAliveDeadline = now + Self.nanoseconds(limits.eventStreamKeepAliveInterval) }
    }

    /// The stream ended.
    public mutating func streamEnded() { keepAliveDeadline = nil }

    /// The final response is written and the write side shut down.
    public mutating func startLingering(now: UInt64) {
        phase = .lingering
        readDeadline = now + Self.nanoseconds(limits.lingerTimeout)
        writeDeadline = nil
        keepAliveDeadline = nil
    }

    public func check(now: UInt64) -> Action {
        if let write = writeDeadline, now >= write { return .abort }
        guard let read = readDeadline, now >= read else {
            if let keepAlive = keepAliveDeadline, now >= keepAlive { return .sendKeepAlive }
            return .none
        }
        switch phase {
        case .idle: return .closeIdle
        case .readingHead, .readingBody: return .requestTimedOut
        case .responding, .lingering: return .abort
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9)
    }
}
