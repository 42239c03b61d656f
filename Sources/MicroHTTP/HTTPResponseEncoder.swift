/// Serializes response heads and chunk framing (RFC 9112 §4, §6, §7.1) into a byte buffer.
/// The connection decides framing; the encoder only writes what it is told.
enum HTTPResponseEncoder {
    enum Framing {
        /// Content-Length (left out where RFC 9110 §8.6 forbids it: 1xx and 204).
        case length(Int)
        case chunked
        /// Neither: the body ends when the connection closes (HTTP/1.0 streams).
        case untilClose
    }

    /// Appends the status line and fields. Fields the connection owns (framing, Connection,
    /// Date) are dropped from `headers` and written from the arguments instead.
    static func appendHead(
        status: HTTPStatus, headers: HTTPHeaders, framing: Framing, keepAlive: Bool,
        version: HTTPVersion, date: String, requestIDHeader: String?, requestID: String,
        varyAcceptEncoding: Bool = false, into out: inout [UInt8]
    ) {
        append("HTTP/1.1 ", to: &out)
        append(String(status.code), to: &out)
        out.append(HTTPSyntax.space)
        append(status.reason, to: &out)
        append("\r\nDate: ", to: &out)
        append(date, to: &out)
        for field in headers.fields where !isConnectionOwned(field.name) {
            appendField(field.name, field.value, to: &out)
        }
        if varyAcceptEncoding { appendField("Vary", "Accept-Encoding", to: &out) }
        if let requestIDHeader { appendField(requestIDHeader, requestID, to: &out) }
        switch framing {
        case .length(let count):
            if status.code >= 200 && status.code != 204 { appendField("Content-Length", String(count), to: &out) }
        case .chunked:
            appendField("Transfer-Encoding", "chunked", to: &out)
        case .untilClose:
            break
        }
        // RFC 9112 §9.3: HTTP/1.1 is persistent unless "close"; HTTP/1.0 needs "keep-alive".
        if !keepAlive {
            appendField("Connection", "close", to: &out)
        } else if version == .http1_0 {
            appendField("Connection", "keep-alive", to: &out)
        }
        append("\r\n\r\n", to: &out)
    }

    /// One chunk: size in hex, CRLF, data, CRLF (RFC 9112 §7.1).
    static func appendChunk(_ bytes: [UInt8], to out: inout [UInt8]) {
        append(String(bytes.count, radix: 16), to: &out)
        append("\r\n", to: &out)
        out.append(contentsOf: bytes)
        append("\r\n", to: &out)
    }

    /// last-chunk and an empty trailer section.
    static func appendLastChunk(to out: inout [UInt8]) {
        append("0\r\n\r\n", to: &out)
    }

    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static func isConnectionOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return name.equalsIgnoringASCIICase("date")
        case 10: return name.equalsIgnoringASCIICase("connection") || name.equalsIgnoringASCIICase("keep-alive")
        case 14: return name.equalsIgnoringASCIICase("content-length")
        case 17: return name.equalsIgnoringASCIICase("transfer-encoding")
        default: return false
        }
    }

    /// Writes "\r\nName: value". Header names and values come from handlers that may copy
    /// client input into them (a Location with an id); CR, LF and NUL are replaced by spaces
    /// so a value can never start a new field or end the head (response splitting).
    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        append("\r\n", to: &out)
        if name.utf8.allSatisfy(HTTPSyntax.isTokenByte) {
            out.append(contentsOf: name.utf8)
        } else {
            for byte in name.utf8 { out.append(HTTPSyntax.isTokenByte(byte) ? byte : 0x5F) }
        }
        append(": ", to: &out)
        if value.utf8.allSatisfy({ $0 != HTTPSyntax.cr && $0 != HTTPSyntax.lf && $0 != 0 }) {
            out.append(contentsOf: value.utf8)
        } else {
            for byte in value.utf8 {
                out.append(byte == HTTPSyntax.cr || byte == HTTPSyntax.lf || byte == 0 ? HTTPSyntax.space : byte)
            }
        }
    }

    @inline(__always)
    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }
}
