import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Timeouts, graceful shutdown, lingering and closing.
extension HTTPConnection {
    // MARK: Timeouts

    func armTimer() {
        guard lifecycle != .closed, let deadline = timeouts.nextDeadline else { return }
        if let armed = timerArmedFor, armed <= deadline { return }
        timerArmedFor = deadline
        loop.schedule(deadline, for: self)
    }

    func timerFired() {
        timerArmedFor = nil
        guard lifecycle != .closed else { return }
        switch timeouts.check(now: Self.now()) {
        case .none:
            armTimer()
        case .closeIdle, .abort:
            close()
        case .requestTimedOut:
            respondToProtocolError(.requestTimeout)
            flush()
        case .sendKeepAlive:
            sendKeepAliveComment()
            armTimer()
        }
    }

    // MARK: Closing

    /// Called by the server when it stops: idle connections close now, busy ones after their
    /// current response.
    func beginShutdown() {
        guard lifecycle == .open else { return }
        shuttingDown = true
        endEventStreamForShutdown()
        if case .nothing = awaiting, incoming == nil, decoder.isAtMessageBoundary, output.count == outputSent {
            close()
        }
    }

    /// After the final response: shut down our side and read (discarding) until the client
    /// closes or the linger timeout passes, so our last response is not destroyed by a reset
    /// caused by unread request bytes (RFC 9112 §9.6).
    func startLingering() {
        guard lifecycle == .open else { return }
        lifecycle = .lingering
        Glibc.shutdown(fd, Int32(SHUT_WR))
        if readEOF { close(); return }
        decoder = HTTPRequestDecoder(limits: limits)
        timeouts.startLingering(now: Self.now())
        resumeReading()
        armTimer()
    }

    func close() {
        guard lifecycle != .closed else { return }
        lifecycle = .closed
        incoming?.feed?.cancel()
        incoming = nil
        let pending = completions
        completions = []
        for completion in pending { completion.callback(false) }
        if case .stream(_, let writer, _, _, _) = awaiting { writer.cancel() }
        awaiting = .nothing
        if registered { loop.deregister(fd) }
        registered = false
        Glibc.close(fd)
        output = []
        server.connectionClosed(self)
    }
}
