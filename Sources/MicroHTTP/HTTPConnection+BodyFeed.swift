/// Requests whose body streams into a consumer (`HTTPBodyConsumer`, `HTTPBodyFeed`): the loop
/// only queues the decoded parts; reading pauses while the consumer is behind; the handler runs
/// once the consumer has had the whole body.
extension HTTPConnection {
    /// The request's `Content-Encoding` codings other than identity, lowercased.
    static func contentCodings(_ request: HTTPRequest) -> [String] {
        request.headers.listValues(for: "Content-Encoding").map { $0.lowercased() }.filter { $0 != "identity" }
    }

    /// The last body byte has been queued: once the consumer has taken everything, the handler
    /// runs as for any request (later pipelined requests wait, as for a deferred response); a
    /// body that could not be inflated is answered with its error instead.
    func finishStreamedBody(_ streamed: Incoming) {
        guard let feed = streamed.feed else { return }
        var decoded = streamed.request
        // The body has been decoded already; the handler gets it through the consumer.
        decoded.headers.remove("Content-Encoding")
        decoded.bodyConsumed = true
        let request = decoded
        let exchange = Exchange(request: request, started: streamed.started, keepAlive: streamed.head.keepAlive)
        awaiting = .deferred(exchange)
        feed.end { [weak self] error in
            self?.resume(exchange) { connection in
                if let error {
                    connection.deliver(error.response, for: exchange)
                } else {
                    connection.handle(
                        Incoming(head: streamed.head, request: request, started: streamed.started, rejection: nil))
                }
            }
        }
    }

    /// The consumer has caught up: read again, and time the body again from now.
    func bodyFeedCaughtUp() {
        guard bodyPaused, lifecycle == .open else { return }
        bodyPaused = false
        timeouts.bodyResumed(now: Self.now())
        processInput()
        flush()
    }

    /// The request in progress was abandoned (an error answer, a timeout, the client left).
    func abandonBodyFeed() {
        incoming?.feed?.cancel()
        if bodyPaused {
            bodyPaused = false
            timeouts.bodyResumed(now: Self.now())
        }
    }
}
