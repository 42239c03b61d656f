/// Streamed responses: the writer's bytes, keep-alive comments on quiet event streams, and
/// ending event streams when the server stops.
extension HTTPConnection: StreamSink {
    // MARK: StreamSink (called from any thread)

    func streamWrite(_ bytes: [UInt8], completion: (@Sendable (Bool) -> Void)?) {
        loop.execute { [self] in
            guard lifecycle == .open,
                case .stream(let exchange, let writer, let chunked, let status, let sent) = awaiting
            else {
                completion?(false)
                return
            }
            appendStreamBytes(bytes, chunked: chunked)
            awaiting = .stream(exchange, writer, chunked: chunked, status: status, bytes: sent + bytes.count)
            if let completion { completions.append((queuedTotal, completion)) }
            flush()
        }
    }

    func streamFinish() {
        loop.execute { [self] in
            guard lifecycle == .open, case .stream(let exchange, _, let chunked, let status, let sent) = awaiting else {
                return
            }
            endStream(exchange, chunked: chunked, status: status, bytes: sent, keepAlive: exchange.keepAlive)
            processInput()
            flush()
        }
    }

    // MARK: On the loop

    private func appendStreamBytes(_ bytes: [UInt8], chunked: Bool) {
        if chunked {
            HTTPResponseEncoder.appendChunk(bytes, to: &output)
            queuedTotal = sentTotal + output.count - outputSent
        } else {
            enqueue(bytes)
        }
        timeouts.streamWrote(now: Self.now())
    }

    private func endStream(_ exchange: Exchange, chunked: Bool, status: Int, bytes: Int, keepAlive: Bool) {
        if chunked { HTTPResponseEncoder.appendLastChunk(to: &output) }
        queuedTotal = sentTotal + output.count - outputSent
        awaiting = .nothing
        eventStreamOpen = false
        timeouts.streamEnded()
        finishExchange(exchange, status: status, bytes: bytes, keepAlive: keepAlive)
    }

    /// An event stream was quiet for `eventStreamKeepAliveInterval`: a comment line, which
    /// clients ignore (HTML Living Standard, "Parsing an event stream": lines starting with
    /// ':'), keeps intermediaries from closing the idle stream and finds clients that left.
    func sendKeepAliveComment() {
        guard lifecycle == .open, eventStreamOpen, case .stream(_, _, let chunked, _, _) = awaiting else {
            timeouts.streamEnded()
            return
        }
        appendStreamBytes(Self.keepAliveComment, chunked: chunked)
        flush()
    }

    static let keepAliveComment = Array(": keep-alive\n\n".utf8)

    /// At shutdown an event stream would otherwise hold the server for the whole grace period
    /// (it ends only with its job): the producer is cancelled and the body ended cleanly, so
    /// the client sees a complete response and reconnects elsewhere.
    func endEventStreamForShutdown() {
        guard eventStreamOpen, case .stream(let exchange, let writer, let chunked, let status, let sent) = awaiting
        else { return }
        writer.cancel()
        endStream(exchange, chunked: chunked, status: status, bytes: sent, keepAlive: false)
        flush()
    }
}
