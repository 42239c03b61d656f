import Foundation

/// From a decoded request to queued response bytes: content decoding, the handler pipeline,
/// deferred and streamed responses, protocol errors, and the access record.
extension HTTPConnection {
    /// A request whose body is complete: answer it inline on the loop, or, when the body must
    /// be inflated or the server runs handlers on a queue, on that queue.
    func handle(_ incoming: Incoming) {
        let exchange = Exchange(
            request: incoming.request, started: incoming.started, keepAlive: incoming.head.keepAlive)
        if let rejection = incoming.rejection {
            deliver(rejection, for: exchange)
            return
        }
        let offLoop: ((@escaping @Sendable () -> Void) -> Void)?
        if let queue = handlerQueue {
            offLoop = { queue.async(execute: $0) }
        } else if Self.hasContentCoding(exchange.request) {
            offLoop = { [workPool] in workPool.execute($0) }
        } else {
            offLoop = nil
        }
        guard let offLoop else {
            var request = exchange.request
            let response = respond(to: &request)
            deliver(response, for: Exchange(request: request, started: exchange.started, keepAlive: exchange.keepAlive))
            return
        }
        // The loop waits for the answer like for a deferred response, so later pipelined
        // requests stay in order.
        awaiting = .deferred(exchange)
        offLoop { [self] in
            var routed = exchange.request
            var response = respond(to: &routed)
            encode(&response, for: routed)
            let done = Exchange(request: routed, started: exchange.started, keepAlive: exchange.keepAlive)
            resume(exchange) { $0.deliver(response, for: done) }
        }
    }

    /// Content decoding, body hooks, routing and the handler; any error becomes its response.
    /// Touches only immutable state, so it may run off the loop.
    private func respond(to request: inout HTTPRequest) -> HTTPResponse {
        do {
            try decodeContent(&request)
            return try router.respond(to: &request)
        } catch {
            return server.response(for: error, request: request)
        }
    }

    /// Runs `then` on the loop if `exchange` is still the one the connection waits for.
    func resume(_ exchange: Exchange, then: @escaping (HTTPConnection) -> Void) {
        loop.execute { [self] in
            guard lifecycle == .open, case .deferred(let current) = awaiting, current.request.id == exchange.request.id
            else { return }
            awaiting = .nothing
            then(self)
            processInput()
            flush()
        }
    }

    /// Compresses `response` for `request` where it stands (off the loop); `send` then leaves
    /// it alone.
    private func encode(_ response: inout HTTPResponse, for request: HTTPRequest) {
        guard response.deferredWork == nil else { return }
        compression.encode(&response, acceptEncoding: request.headers["Accept-Encoding"])
    }

    /// Sends `response`, or hands a responder to a deferred one. A large body to compress is
    /// compressed on the work pool first.
    func deliver(_ response: HTTPResponse, for exchange: Exchange) {
        guard let work = response.deferredWork else {
            guard compression.isExpensive(response, acceptEncoding: exchange.request.headers["Accept-Encoding"]) else {
                send(response, for: exchange)
                return
            }
            awaiting = .deferred(exchange)
            workPool.execute { [self] in
                var encoded = response
                encode(&encoded, for: exchange.request)
                resume(exchange) { $0.send(encoded, for: exchange) }
            }
            return
        }
        awaiting = .deferred(exchange)
        let responder = HTTPResponder { [weak self] result in
            guard let self else { return }
            var response: HTTPResponse
            switch result {
            case .success(let answer): response = answer
            case .failure(let error): response = self.server.response(for: error, request: exchange.request)
            }
            // Compressed on the thread that answered, which is not a loop for slow work.
            self.encode(&response, for: exchange.request)
            self.resume(exchange) { $0.deliver(response, for: exchange) }
        }
        work(responder)
    }

    static func hasContentCoding(_ request: HTTPRequest) -> Bool {
        request.headers.listValues(for: "Content-Encoding").contains { $0.lowercased() != "identity" }
    }

    /// Undoes `Content-Encoding: gzip` (RFC 9110 §8.4) within the inflated-size limit.
    private func decodeContent(_ request: inout HTTPRequest) throws {
        let codings = request.headers.listValues(for: "Content-Encoding").map { $0.lowercased() }.filter {
            $0 != "identity"
        }
        guard !codings.isEmpty else { return }
        guard codings == ["gzip"] || codings == ["x-gzip"] else {
            throw HTTPError.unsupportedContentEncoding(codings.joined(separator: ", "))
        }
        request.body = try Gzip.decompress(request.body, limit: limits.maxInflatedBodyBytes)
        request.headers.remove("Content-Encoding")
    }

    private func send(_ original: HTTPResponse, for exchange: Exchange) {
        let request = exchange.request
        var response = original
        // Small bodies are compressed here; large ones already were, off the loop.
        compression.encode(&response, acceptEncoding: request.headers["Accept-Encoding"])
        let keepAlive =
            exchange.keepAlive && !shuttingDown && !closeAfterFlush
            && !(response.headers["Connection"].map { $0.lowercased().contains("close") } ?? false)
        let isHead = request.method == .head
        switch response.body {
        case .bytes(let body):
            let sendsBody = !isHead && response.status.allowsContent
            writeHead(
                response.status, response.headers, framing: .length(response.status.allowsContent ? body.count : 0),
                keepAlive: keepAlive, request: request, vary: response.varyAcceptEncoding)
            if sendsBody { enqueue(body) }
            finishExchange(
                exchange, status: response.status.code, bytes: sendsBody ? body.count : 0, keepAlive: keepAlive)
        case .stream(let producer):
            guard !isHead && response.status.allowsContent else {
                writeHead(
                    response.status, response.headers, framing: .length(0), keepAlive: keepAlive, request: request)
                finishExchange(exchange, status: response.status.code, bytes: 0, keepAlive: keepAlive)
                return
            }
            // An HTTP/1.0 client cannot read chunked; its body ends when the connection closes.
            let chunked = request.version == .http1_1
            writeHead(
                response.status, response.headers, framing: chunked ? .chunked : .untilClose,
                keepAlive: keepAlive && chunked, request: request)
            var streaming = exchange
            streaming.keepAlive = keepAlive && chunked
            let writer = HTTPStreamWriter(sink: self)
            awaiting = .stream(streaming, writer, chunked: chunked, status: response.status.code, bytes: 0)
            eventStreamOpen = response.headers["Content-Type"]?.lowercased().hasPrefix("text/event-stream") ?? false
            timeouts.streamStarted(now: Self.now(), isEventStream: eventStreamOpen)
            armTimer()
            producer(writer)
        }
    }

    private func writeHead(
        _ status: HTTPStatus, _ headers: HTTPHeaders, framing: HTTPResponseEncoder.Framing, keepAlive: Bool,
        request: HTTPRequest, vary: Bool = false
    ) {
        HTTPResponseEncoder.appendHead(
            status: status, headers: headers, framing: framing, keepAlive: keepAlive,
            version: request.version, date: dateCache.current(),
            requestIDHeader: requestIDHeader, requestID: request.id, varyAcceptEncoding: vary, into: &output)
        queuedTotal = sentTotal + output.count - outputSent
    }

    /// Records the exchange and decides whether the connection continues.
    func finishExchange(_ exchange: Exchange, status: Int, bytes: Int, keepAlive: Bool) {
        let now = Self.now()
        if server.recordsExchanges {
            server.record(
                HTTPAccessRecord(
                    method: exchange.request.method, path: exchange.request.rawPath, route: exchange.request.route,
                    status: status, bytes: bytes, duration: Double(now &- exchange.started) / 1e9,
                    requestID: exchange.request.id, remoteAddress: remoteAddress))
        }
        if keepAlive {
            timeouts.responseCompleted(now: now, nextRequestStarted: !decoder.isAtMessageBoundary)
        } else {
            closeAfterFlush = true
        }
    }

    /// Answers a decoding error or timeout with its JSON body and closes: after a framing
    /// error the next request's position is unknown (RFC 9112 §6.3).
    func respondToProtocolError(_ error: HTTPError) {
        guard lifecycle == .open, !closeAfterFlush else { return }
        if case .stream = awaiting { close(); return }
        let head = incoming?.head
        abandonBodyFeed()
        if head == nil { requestCount += 1 }
        var request =
            incoming?.request
            ?? HTTPRequest(
                method: .get, target: "/", headers: HTTPHeaders(), id: requestID(HTTPHeaders()),
                remoteAddress: remoteAddress)
        request.keepAlive = false
        if head == nil { request.rawPath = "-" }
        let started = incoming?.started ?? Self.now()
        incoming = nil
        awaiting = .nothing
        let response = error.response
        writeHead(
            response.status, response.headers, framing: .length(response.bodyBytes?.count ?? 0), keepAlive: false,
            request: request)
        enqueue(response.bodyBytes ?? [])
        var exchange = Exchange(request: request, started: started, keepAlive: false)
        if head == nil { exchange.request.method = HTTPMethod("-") }
        finishExchange(exchange, status: response.status.code, bytes: response.bodyBytes?.count ?? 0, keepAlive: false)
    }

    /// The client's X-Request-Id when it is short and plain enough to echo into our logs and
    /// headers; otherwise "<server>-<connection>-<request>".
    func requestID(_ headers: HTTPHeaders) -> String {
        if let header = requestIDHeader, let given = headers[header],
            (1...64).contains(given.utf8.count),
            given.utf8.allSatisfy({ HTTPSyntax.isTokenByte($0) && $0 != 0x25 })
        {
            return given
        }
        return requestIDPrefix + String(requestCount)
    }
}
