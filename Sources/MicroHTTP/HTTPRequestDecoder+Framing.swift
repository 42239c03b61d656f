/// The end of the header section: Host rules (RFC 9112 §3.2) and the message body length
/// (RFC 9112 §6.3). These are the checks that stop request smuggling, so every ambiguity is
/// an error that closes the connection rather than a guess.
extension HTTPRequestDecoder {
    mutating func finishHead() throws -> HTTPRequestHead {
        // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, or with more than one.
        if partial.hostCount > 1 {
            throw HTTPError.badRequest("the request has more than one Host field; send exactly one (RFC 9112 §3.2)")
        }
        if partial.hostCount == 0 && partial.version == .http1_1 { throw HTTPError.missingHost }

        let framing = try bodyFraming()
        if partial.method.requiresLength, case .none = framing { throw HTTPError.lengthRequired }

        let keepAlive =
            partial.version == .http1_1
            ? !partial.connectionClose
            : partial.connectionKeepAlive && !partial.connectionClose
        let head = HTTPRequestHead(
            method: partial.method, target: partial.target, version: partial.version,
            headers: partial.headers, framing: framing, keepAlive: keepAlive,
            expectsContinue: partial.expectsContinue && partial.version == .http1_1)
        switch framing {
        case .none, .contentLength(0): state = .messageEnd
        case .contentLength(let length): state = .fixedBody(remaining: length)
        case .chunked: state = .chunkSize
        }
        return head
    }

    private func bodyFraming() throws -> HTTPRequestHead.BodyFraming {
        if !partial.transferEncodings.isEmpty {
            // RFC 9112 §6.1 allows a server to reject a message with both, and §6.3 says it is
            // likely a smuggling attempt; rejecting removes the ambiguity.
            if !partial.contentLengths.isEmpty {
                throw HTTPError.badRequest(
                    "the request has both Content-Length and Transfer-Encoding; send only one (RFC 9112 §6.1)")
            }
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
            if partial.version == .http1_0 {
                throw HTTPError.badRequest(
                    "Transfer-Encoding is not defined for HTTP/1.0; use Content-Length (RFC 9112 §6.1)")
            }
            let codings = partial.transferEncodings.flatMap {
                $0.split(separator: ",", omittingEmptySubsequences: false)
            }
            .map { $0.trimmingOWS().lowercased() }
            if codings == ["chunked"] { return .chunked }
            // RFC 9112 §6.3: a request whose final coding is not chunked cannot be delimited.
            guard codings.last == "chunked", !codings.dropLast().contains("chunked"), !codings.contains("") else {
                throw HTTPError.badRequest(
                    "'chunked' must be the final transfer coding and appear once (RFC 9112 §6.3)")
            }
            throw HTTPError.unsupportedTransferCoding(codings.dropLast().joined(separator: ", "))
        }
        guard let text = partial.contentLengths.first else { return .none }
        // RFC 9112 §6.3: several Content-Length values are an unrecoverable error; this
        // decoder does not merge even identical copies.
        if partial.contentLengths.count > 1 {
            throw HTTPError.badRequest(
                "the request has more than one Content-Length field; send exactly one (RFC 9112 §6.3)")
        }
        return .contentLength(try parseContentLength(text))
    }

    /// Content-Length = 1*DIGIT (RFC 9110 §8.6): no sign, no spaces inside, no list.
    private func parseContentLength(_ text: String) throws -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw HTTPError.badRequest("Content-Length must be a single non-negative decimal number (RFC 9110 §8.6)")
        }
        var length = 0
        for byte in text.utf8 {
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - 0x30))
            if overflow1 || overflow2 { throw HTTPError.contentTooLarge(limit: limits.maxBodyBytes) }
            length = sum
        }
        // Answered before any body byte is read, so a client cannot make us read a large body.
        if length > limits.maxBodyBytes { throw HTTPError.contentTooLarge(limit: limits.maxBodyBytes) }
        return length
    }
}
