/// Request-line and field-line parsing (RFC 9112 §3 and §5), and the framing decision made
/// when the header section ends (RFC 9112 §6.3).
extension HTTPRequestDecoder {
    /// What the field lines seen so far mean for framing, gathered while parsing so that the
    /// header list is not searched again.
    struct PartialHead: Sendable {
        var method = HTTPMethod.get
        var target = ""
        var version = HTTPVersion.http1_1
        var headers = HTTPHeaders()
        var hostCount = 0
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    mutating func parseRequestLine(_ line: Range<Int>) throws {
        // A second reference to the storage (no copy) lets the parser read raw bytes while it
        // mutates `partial`.
        let storage = buffer
        try storage.withUnsafeBufferPointer { all in
            let bytes = UnsafeBufferPointer(rebasing: all[line])
            guard let firstSpace = bytes.firstIndex(of: HTTPSyntax.space) else {
                throw HTTPError.badRequest("the request line must be 'METHOD target HTTP/1.1' (RFC 9112 §3)")
            }
            let method = UnsafeBufferPointer(rebasing: bytes[0..<firstSpace])
            guard !method.isEmpty, method.allSatisfy(HTTPSyntax.isTokenByte) else {
                throw HTTPError.badRequest("the method must be a token such as GET or POST (RFC 9112 §3.1)")
            }
            let rest = UnsafeBufferPointer(rebasing: bytes[(firstSpace + 1)...])
            guard let secondSpace = rest.firstIndex(of: HTTPSyntax.space) else {
                throw HTTPError.badRequest("the request line must be 'METHOD target HTTP/1.1' (RFC 9112 §3)")
            }
            let target = UnsafeBufferPointer(rebasing: rest[0..<secondSpace])
            partial.version = try parseVersion(UnsafeBufferPointer(rebasing: rest[(secondSpace + 1)...]))
            guard !target.isEmpty, target.allSatisfy(HTTPSyntax.isTargetByte) else {
                throw HTTPError.badRequest(
                    "the request-target must be non-empty visible ASCII with single spaces around it; percent-encode other bytes (RFC 9112 §3.2)"
                )
            }
            partial.method = HTTPMethod(String(decoding: method, as: UTF8.self))
            partial.target = String(decoding: target, as: UTF8.self)
            try checkTargetForm(target)
        }
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). A higher minor version of 1.x is
    /// served as 1.1 (RFC 9110 §2.5); another major version is 505.
    private func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws -> HTTPVersion {
        guard bytes.count == 8, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50,
            bytes[4] == 0x2F, let major = digit(bytes[5]), bytes[6] == 0x2E, let minor = digit(bytes[7])
        else {
            throw HTTPError.badRequest("the protocol version must be 'HTTP/1.1' (RFC 9112 §2.3)")
        }
        guard major == 1 else { throw HTTPError.versionNotSupported("HTTP/\(major).\(minor)") }
        return minor == 0 ? .http1_0 : .http1_1
    }

    private func digit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }

    /// RFC 9112 §3.2: origin-form ("/path?query"), absolute-form ("http://host/path"), and
    /// asterisk-form ("*") for OPTIONS only. Authority-form belongs to CONNECT, which this
    /// server does not proxy.
    private func checkTargetForm(_ target: UnsafeBufferPointer<UInt8>) throws {
        if target.first == 0x2F { return }
        if target.count == 1, target.first == 0x2A, partial.method == .options { return }
        let text = String(decoding: target, as: UTF8.self).lowercased()
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return }
        throw HTTPError.badRequest(
            "the request-target must start with '/' (or be an absolute http URI) (RFC 9112 §3.2)")
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). Trailer lines are parsed
    /// with the same rules but not recorded (`recordingInto: false`).
    mutating func parseFieldLine(_ line: Range<Int>, recordingInto record: Bool) throws {
        let storage = buffer
        try storage.withUnsafeBufferPointer { all in
            let bytes = UnsafeBufferPointer(rebasing: all[line])
            // RFC 9112 §5.2: obs-fold is refused with 400 rather than unfolded.
            if HTTPSyntax.isWhitespace(bytes[0]) {
                throw HTTPError.badRequest(
                    "a header line starts with whitespace (obsolete line folding); put each field on one line (RFC 9112 §5.2)"
                )
            }
            var colon = 0
            while colon < bytes.count, HTTPSyntax.isTokenByte(bytes[colon]) { colon += 1 }
            guard colon < bytes.count, bytes[colon] == HTTPSyntax.colon else {
                if colon < bytes.count, HTTPSyntax.isWhitespace(bytes[colon]) {
                    throw HTTPError.badRequest(
                        "whitespace between a field name and its colon is not allowed (RFC 9112 §5.1)")
                }
                throw HTTPError.badRequest(
                    "a header field name contains a byte that is not a token character, or the line has no colon (RFC 9110 §5.1)"
                )
            }
            guard colon > 0 else {
                throw HTTPError.badRequest("a header line has an empty field name (RFC 9110 §5.1)")
            }
            var valueStart = colon + 1
            var valueEnd = bytes.count
            while valueStart < valueEnd, HTTPSyntax.isWhitespace(bytes[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart, HTTPSyntax.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
            for i in valueStart..<valueEnd where !HTTPSyntax.isFieldValueByte(bytes[i]) {
                throw HTTPError.badRequest(
                    "a header field value contains a control character such as NUL or CR (RFC 9110 §5.5)")
            }
            guard record else { return }
            let name = UnsafeBufferPointer(rebasing: bytes[0..<colon])
            let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            partial.headers.add(String(decoding: name, as: UTF8.self), value)
            noteFramingField(name: name, value: value)
        }
    }

    private mutating func noteFramingField(name: UnsafeBufferPointer<UInt8>, value: String) {
        switch name.count {
        case 4 where name.equalsLowercase("host"):
            partial.hostCount += 1
        case 6 where name.equalsLowercase("expect"):
            if value.equalsIgnoringASCIICase("100-continue") { partial.expectsContinue = true }
        case 10 where name.equalsLowercase("connection"):
            for option in value.split(separator: ",") {
                let token = option.trimmingOWS()
                if token.equalsIgnoringASCIICase("close") { partial.connectionClose = true }
                if token.equalsIgnoringASCIICase("keep-alive") { partial.connectionKeepAlive = true }
            }
        case 14 where name.equalsLowercase("content-length"):
            partial.contentLengths.append(value)
        case 17 where name.equalsLowercase("transfer-encoding"):
            partial.transferEncodings.append(value)
        default:
            break
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Case-insensitive comparison with an all-lowercase ASCII literal.
    func equalsLowercase(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for i in 0..<count where asciiLower(self[i]) != expected[i] { return false }
        return true
    }
}
