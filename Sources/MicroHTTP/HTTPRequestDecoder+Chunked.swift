/// The chunked transfer coding (RFC 9112 §7.1):
///
///     chunked-body = *chunk last-chunk trailer-section CRLF
///     chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
///     last-chunk   = 1*("0") [ chunk-ext ] CRLF
///
/// Chunk sizes are where smuggling attacks live (a proxy and a server reading a size
/// differently), so anything but plain hex digits followed by an optional extension is refused.
extension HTTPRequestDecoder {
    /// Longest chunk-size line accepted, extensions included. Extensions carry nothing this
    /// server uses; the cap stops them from being an unbounded side channel (RFC 9112 §7.1.1).
    static let maxChunkLineBytes = 4096

    /// Advances through the chunked states; returns a body event, or nil when more bytes are
    /// needed or the message ended (then `state` is `.messageEnd`).
    mutating func stepChunked() throws -> Event? {
        while true {
            switch state {
            case .chunkSize:
                guard
                    let line = try nextLine(
                        limit: Self.maxChunkLineBytes,
                        tooLong: .badRequest(
                            "a chunk-size line is longer than \(Self.maxChunkLineBytes) bytes (RFC 9112 §7.1.1)"))
                else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    sectionBytes = 0
                    sectionFields = 0
                    state = .trailerLines
                } else {
                    if size > limits.maxBodyBytes - bodyBytes {
                        throw HTTPError.contentTooLarge(limit: limits.maxBodyBytes)
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let count = min(remaining, buffer.count - index)
                if count == 0 { return nil }
                // A copy of its own, never the buffer's storage: `Array(slice)` of the whole buffer
                // would share it, and the part may go to another thread (a streamed body) while
                // the buffer is reused here.
                let part = buffer.withUnsafeBufferPointer { [UInt8]($0[index..<(index + count)]) }
                index += count
                bodyBytes += count
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(part)
            case .chunkDataEnd:
                let available = buffer.count - index
                if available >= 1, buffer[index] != HTTPSyntax.cr { throw missingChunkCRLF }
                if available < 2 { return nil }
                if buffer[index + 1] != HTTPSyntax.lf { throw missingChunkCRLF }
                index += 2
                state = .chunkSize
            case .trailerLines:
                // RFC 9112 §7.1.2: trailer fields are parsed like header fields (and limited the
                // same way) but discarded: none of them may change framing or routing.
                guard let line = try nextFieldLine() else { return nil }
                if line.isEmpty {
                    state = .messageEnd
                    return nil
                }
                try parseFieldLine(line, recordingInto: false)
            default:
                return nil
            }
        }
    }

    private var missingChunkCRLF: HTTPError {
        .badRequest("chunk data is not followed by CRLF; the chunk size does not match its data (RFC 9112 §7.1)")
    }

    /// chunk-size = 1*HEXDIG, then optionally BWS ";" chunk-ext (RFC 9112 §7.1, §7.1.1).
    /// Refused: no digits, a sign or "0x" prefix, leading whitespace, trailing whitespace
    /// without an extension, and sizes that overflow.
    private func parseChunkSize(_ line: Range<Int>) throws -> Int {
        var i = line.lowerBound
        var size = 0
        while i < line.upperBound, let digit = HTTPSyntax.hexValue(buffer[i]) {
            // 15 significant hex digits already exceed any body limit; stop before overflow.
            if size > (Int.max >> 4) { throw HTTPError.contentTooLarge(limit: limits.maxBodyBytes) }
            size = size << 4 | digit
            i += 1
        }
        guard i > line.lowerBound else {
            throw HTTPError.badRequest("a chunk size must start with hexadecimal digits (RFC 9112 §7.1)")
        }
        if i == line.upperBound { return size }
        var j = i
        while j < line.upperBound, HTTPSyntax.isWhitespace(buffer[j]) { j += 1 }
        guard j < line.upperBound, buffer[j] == HTTPSyntax.semicolon else {
            throw HTTPError.badRequest(
                "a chunk size must be hexadecimal digits, optionally followed by ';' and an extension (RFC 9112 §7.1)")
        }
        for k in (j + 1)..<line.upperBound where !HTTPSyntax.isFieldValueByte(buffer[k]) {
            throw HTTPError.badRequest("a chunk extension contains a control character (RFC 9112 §7.1.1)")
        }
        return size
    }
}
