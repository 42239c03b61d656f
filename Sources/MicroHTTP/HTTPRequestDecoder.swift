import Foundation

/// An incremental HTTP/1.1 request decoder (RFC 9112). Feed it bytes as they arrive and pull
/// events: one `.head`, zero or more `.body` parts, then `.end`, for each request in turn.
/// It is a plain value with no I/O, so it is tested by feeding bytes and fuzzed directly.
///
/// Any error is final: the decoder keeps throwing it, because after a framing error the
/// position of the next request in the stream is unknown (RFC 9112 §6.3).
public struct HTTPRequestDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end
    }

    enum State: Sendable {
        case requestLine
        case fieldLines
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLines
        case messageEnd
        case failed(HTTPError)
    }

    public let limits: HTTPLimits
    var buffer: [UInt8] = []
    /// First byte of `buffer` not yet consumed.
    var index = 0
    /// How many bytes after `index` have already been searched for LF, so feeding a long line
    /// one byte at a time stays linear.
    var scanned = 0
    var state: State = .requestLine
    var partial = PartialHead()
    /// Size and field count of the section being read (headers, then trailers).
    var sectionBytes = 0
    var sectionFields = 0
    /// Content bytes of the current request so far, for the chunked body limit.
    var bodyBytes = 0

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet turned into events.
    public var bufferedByteCount: Int { buffer.count - index }

    /// True when no part of a request has been received: the point where a keep-alive
    /// connection may be closed without cutting a request in half.
    public var isAtMessageBoundary: Bool {
        if case .requestLine = state {
            return buffer[index...].allSatisfy { $0 == HTTPSyntax.cr || $0 == HTTPSyntax.lf }
        }
        return false
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next() throws -> Event? {
        do {
            return try step()
        } catch let error as HTTPError {
            state = .failed(error)
            throw error
        }
    }

    /// Tells the decoder the peer will send nothing more; throws `.truncated` when a request
    /// was cut off (RFC 9112 §8: an incomplete message is not processed as complete).
    public func finish() throws {
        if case .failed(let error) = state { throw error }
        if !isAtMessageBoundary { throw HTTPError.truncated }
    }

    private mutating func step() throws -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .requestLine:
                guard
                    let line = try nextLine(
                        limit: limits.maxRequestLineBytes, tooLong: .uriTooLong(limit: limits.maxRequestLineBytes))
                else { return nil }
                // RFC 9112 §2.2: empty lines received before the request line are ignored.
                if line.isEmpty { continue }
                try parseRequestLine(line)
                sectionBytes = 0
                sectionFields = 0
                state = .fieldLines
            case .fieldLines:
                guard let line = try nextFieldLine() else { return nil }
                if line.isEmpty { return .head(try finishHead()) }
                try parseFieldLine(line, recordingInto: true)
            case .fixedBody(let remaining):
                let count = min(remaining, buffer.count - index)
                if count == 0 { return nil }
                // A copy of its own, never the buffer's storage: `Array(slice)` of the whole buffer
                // would share it, and the part may go to another thread (a streamed body) while
                // the buffer is reused here.
                let part = buffer.withUnsafeBufferPointer { [UInt8]($0[index..<(index + count)]) }
                index += count
                state = count == remaining ? .messageEnd : .fixedBody(remaining: remaining - count)
                return .body(part)
            case .chunkSize, .chunkData, .chunkDataEnd, .trailerLines:
                if let event = try stepChunked() { return event }
                if case .messageEnd = state { continue }
                return nil
            case .messageEnd:
                state = .requestLine
                partial = PartialHead()
                bodyBytes = 0
                return .end
            }
        }
    }

    /// Drops consumed bytes before appending, keeping the buffer from growing with pipelined
    /// or keep-alive traffic.
    private mutating func compact() {
        if index == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            index = 0
        } else if index >= 4096 && index * 2 >= buffer.count {
            buffer.removeSubrange(0..<index)
            index = 0
        }
    }

    /// The next CRLF-terminated line (without the CRLF), or nil if it has not fully arrived.
    /// Lines longer than `limit` throw `tooLong` as soon as enough bytes are buffered to know.
    mutating func nextLine(limit: Int, tooLong: HTTPError) throws -> Range<Int>? {
        let start = index
        let from = start + scanned
        let end = buffer.count
        let found: Int? = buffer.withUnsafeBufferPointer { bytes in
            guard from < end, let base = bytes.baseAddress,
                let hit = memchr(base + from, Int32(HTTPSyntax.lf), end - from)
            else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        guard let lf = found else {
            scanned = end - start
            // The line will be at least `pending - 1` bytes long (the last byte may be its CR).
            if end - start > limit + 1 { throw tooLong }
            return nil
        }
        // Same test as for a pending line first, so the outcome never depends on how the
        // bytes were split into reads.
        if lf - start > limit + 1 { throw tooLong }
        // RFC 9112 §2.2 lets a recipient accept a bare LF; refusing it keeps us from reading a
        // line boundary where a front proxy would not.
        guard lf > start, buffer[lf - 1] == HTTPSyntax.cr else {
            throw HTTPError.badRequest("a line ends in LF without CR; end every line with CRLF (RFC 9112 §2.2)")
        }
        let lineEnd = lf - 1
        if lineEnd - start > limit { throw tooLong }
        index = lf + 1
        scanned = 0
        return start..<lineEnd
    }

    /// A field line within the size and count limits of the current section.
    mutating func nextFieldLine() throws -> Range<Int>? {
        let remaining = max(0, limits.maxHeaderSectionBytes - sectionBytes - 2)
        guard
            let line = try nextLine(
                limit: remaining, tooLong: .headerSectionTooLarge(limit: limits.maxHeaderSectionBytes))
        else { return nil }
        if line.isEmpty { return line }
        sectionBytes += line.count + 2
        sectionFields += 1
        if sectionFields > limits.maxHeaderFields { throw HTTPError.tooManyHeaderFields(limit: limits.maxHeaderFields) }
        return line
    }
}
