import Foundation

/// From a decoded request to queued response bytes: content decoding, the handler pipeline,
/// deferred and streamed responses, protocol errors, and the access record.
extension HTTPConnection: StreamSink {
    func handle(_ incoming: Incoming) {
        requestCount += 1
        let head = incoming.head
        var request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers,
            body: incoming.body, id: requestID(head.headers), remoteAddress: remoteAddress,
            keepAlive: head.keepAlive)
        guard let queue = handlerQueue else {
            let response = respond(to: &request)
            deliver(response, for: Exchange(request: request, started: incoming.started, keepAlive: head.keepAlive))
            return
        }
        // Handlers run on the configured queue; the loop waits for the answer like for a
        // deferred response, so later pipelined requests stay in order.
        let pending = Exchange(request: request, started: incoming.started, keepAlive: head.keepAlive)
        awaiting = .deferred(pending)
        queue.async { [self] in
            var routed = pending.request
            let response = respond(to: &routed)
            loop.execute { [self] in
                guard lifecycle == .open, case .deferred(let current) = awaiting, current.request.id == routed.id else {
                    return
                }
                awaiting = .nothing
                deliver(
                    response, for: Exchange(request: routed, started: pending.started, keepAlive: pending.keepAlive))
                processInput()
                flush()
            }
        }
    }

    /// Content decoding, hooks, routing and the handler; any error becomes its response.
    /// Touches only immutable state, so it may run off the loop.
    private func respond(to request: inout HTTPRequest) -> HTTPResponse {
        do {
            try decodeContent(&request)
            return try router.respond(to: &request)
        } catch {
            return server.response(for: error, request: request)
        }
    }

    /// Sends `response`, or hands a responder to a deferred one.
    func deliver(_ response: HTTPResponse, for exchange: Exchange) {
        guard let work = response.deferredWork else {
            send(response, for: exchange)
            return
        }
        awaiting = .deferred(exchange)
        let responder = HTTPResponder { [weak self] result in
            guard let self else { return }
            self.loop.execute {
                guard self.lifecycle == .open, case .deferred(let current) = self.awaiting,
                    current.request.id == exchange.request.id
                else { return }
                self.awaiting = .nothing
                switch result {
                case .success(let response): self.deliver(response, for: exchange)
                case .failure(let error):
                    self.deliver(self.server.response(for: error, request: exchange.request), for: exchange)
                }
                self.processInput()
                self.flush()
            }
        }
        work(responder)
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

    private func send(_ response: HTTPResponse, for exchange: Exchange) {
        let request = exchange.request
        let keepAlive =
            exchange.keepAlive && !shuttingDown && !closeAfterFlush
            && !(response.headers["Connection"].map { $0.lowercased().contains("close") } ?? false)
        let isHead = request.method == .head
        switch response.body {
        case .bytes(var body):
            var headers = response.headers
            var vary = false
            // RFC 9110 §12.5.5: a response whose coding depends on Accept-Encoding says so.
            if compression.enabled, let type = headers["Content-Type"], HTTPCompression.isCompressible(type) {
                vary = true
                if compression.shouldCompress(
                    response, bodyCount: body.count, acceptEncoding: request.headers["Accept-Encoding"])
                {
                    let compressed = Gzip.compress(body, level: compression.level)
                    if !compressed.isEmpty && compressed.count < body.count {
                        body = compressed
                        headers.set("Content-Encoding", "gzip")
                    }
                }
            }
            let sendsBody = !isHead && response.status.allowsContent
            writeHead(
                response.status, headers, framing: .length(response.status.allowsContent ? body.count : 0),
                keepAlive: keepAlive, request: request, vary: vary)
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
    private func finishExchange(_ exchange: Exchange, status: Int, bytes: Int, keepAlive: Bool) {
        let now = Self.now()
        if server.recordsExchanges {
            server.record(
                HTTPAccessRecord(
                    method: exchange.request.method, path: exchange.request.path, route: exchange.request.route,
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
        requestCount += 1
        let head = incoming?.head
        var request = HTTPRequest(
            method: head?.method ?? .get, target: head?.target ?? "/", headers: head?.headers ?? HTTPHeaders(),
            id: requestID(head?.headers ?? HTTPHeaders()), remoteAddress: remoteAddress, keepAlive: false)
        if head == nil { request.path = "-" }
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
    private func requestID(_ headers: HTTPHeaders) -> String {
        if let header = requestIDHeader, let given = headers[header],
            (1...64).contains(given.utf8.count),
            given.utf8.allSatisfy({ HTTPSyntax.isTokenByte($0) && $0 != 0x25 })
        {
            return given
        }
        return requestIDPrefix + String(requestCount)
    }

    // MARK: StreamSink (called from any thread)

    func streamWrite(_ bytes: [UInt8], completion: (@Sendable (Bool) -> Void)?) {
        loop.execute { [self] in
            guard lifecycle == .open,
                case .stream(let exchange, let writer, let chunked, let status, let sent) = awaiting
            else {
                completion?(false)
                return
            }
            if chunked {
                HTTPResponseEncoder.appendChunk(bytes, to: &output)
                queuedTotal = sentTotal + output.count - outputSent
            } else {
                enqueue(bytes)
            }
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
            if chunked { HTTPResponseEncoder.appendLastChunk(to: &output) }
            queuedTotal = sentTotal + output.count - outputSent
            awaiting = .nothing
            finishExchange(exchange, status: status, bytes: sent, keepAlive: exchange.keepAlive)
            processInput()
            flush()
        }
    }
}
