/// The head stage of a request on a connection: decide from the header section alone whether
/// the body is worth reading at all.
extension HTTPConnection {
    /// Runs the router's head stage (`HTTPRouter.admit`: path decoding, route, `beforeBody`
    /// hooks) as soon as a head has been decoded, before any of its body is read.
    ///
    /// A request the head stage refuses is answered without reading its body: no
    /// `100 Continue` goes out (RFC 9110 §10.1.1 lets a server answer with a final status
    /// instead), no body byte is buffered or inflated, and when a body follows, the
    /// connection closes after the answer, because the next request's start is then unknown.
    /// A refused request without a body keeps the connection open.
    func receivedHead(_ head: HTTPRequestHead) {
        let now = Self.now()
        requestCount += 1
        var request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers,
            id: requestID(head.headers), remoteAddress: remoteAddress, keepAlive: head.keepAlive)
        timeouts.headReceived(now: now, bodyFollows: head.hasBody, bufferedBodyBytes: decoder.bufferedByteCount)
        var rejection: HTTPResponse?
        do {
            rejection = try router.admit(&request)
        } catch {
            rejection = server.response(for: error, request: request)
        }
        if let rejection, head.hasBody {
            incoming = nil
            timeouts.requestReceived()
            request.keepAlive = false
            deliver(rejection, for: Exchange(request: request, started: now, keepAlive: false))
            return
        }
        incoming = Incoming(head: head, request: request, started: now, rejection: rejection)
        if rejection == nil, let consumer = request.bodyConsumer {
            incoming?.feed = HTTPBodyFeed(
                consumer: consumer, contentCodings: Self.contentCodings(request),
                inflatedLimit: limits.maxInflatedBodyBytes,
                pool: workPool,
                resume: { [weak self] in
                    guard let self else { return }
                    self.loop.execute { self.bodyFeedCaughtUp() }
                })
        }
        // A body of known length is read into one buffer of its size (at most maxBodyBytes, which
        // the decoder has checked), rather than one that doubles as it grows: a 150 MiB upload
        // would otherwise pass through buffers of up to twice its size and copies between them.
        if rejection == nil, incoming?.feed == nil, case .contentLength(let length) = head.framing,
            length > 64 * 1024
        {
            incoming?.request.body.reserveCapacity(length)
        }
        // RFC 9110 §10.1.1: tell a waiting client to send the body we will read.
        if head.expectsContinue && head.hasBody { enqueue(HTTPResponseEncoder.continueLine) }
    }
}
