/// The timeouts of one connection as a value-type state machine: the connection reports what
/// happened with the current time, and asks `check(now:)` what to do when its timer fires.
/// Times are nanoseconds on one monotonic clock, so tests drive it with a fake clock.
public struct HTTPConnectionTimeouts: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for the first byte of the next request (keep-alive).
        case idle
        /// Inside a request's head: the header timeout counts from its first byte.
        case readingHead
        /// Inside a body: the body timeout counts from the last body bytes.
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
    }

    public let limits: HTTPLimits
    public private(set) var phase: Phase = .idle
    public private(set) var readDeadline: UInt64?
    public private(set) var writeDeadline: UInt64?

    public init(limits: HTTPLimits, now: UInt64) {
        self.limits = limits
        readDeadline = now + Self.nanoseconds(limits.idleTimeout)
    }

    /// The earliest moment something may time out, nil when nothing can.
    public var nextDeadline: UInt64? {
        switch (readDeadline, writeDeadline) {
        case let (read?, write?): return min(read, write)
        case let (read?, nil): return read
        case let (nil, write?): return write
        case (nil, nil): return nil
        }
    }

    /// Bytes of a request arrived.
    public mutating func received(now: UInt64) {
        switch phase {
        case .idle:
            phase = .readingHead
            readDeadline = now + Self.nanoseconds(limits.headerTimeout)
        case .readingBody:
            readDeadline = now + Self.nanoseconds(limits.bodyTimeout)
        case .readingHead, .responding, .lingering:
            break
        }
    }

    /// The header section is complete.
    public mutating func headReceived(now: UInt64, bodyFollows: Bool) {
        guard phase != .lingering else { return }
        if bodyFollows {
            phase = .readingBody
            readDeadline = now + Self.nanoseconds(limits.bodyTimeout)
        } else {
            requestReceived()
        }
    }

    /// The whole request is in; the handler runs without a read timeout.
    public mutating func requestReceived() {
        guard phase != .lingering else { return }
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

    /// The final response is written and the write side shut down.
    public mutating func startLingering(now: UInt64) {
        phase = .lingering
        readDeadline = now + Self.nanoseconds(limits.lingerTimeout)
        writeDeadline = nil
    }

    public func check(now: UInt64) -> Action {
        if let write = writeDeadline, now >= write { return .abort }
        guard let read = readDeadline, now >= read else { return .none }
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
