/// The path of a request, percent-decoded exactly once (RFC 3986 §2.1, §2.4) into its segments.
///
/// Everything downstream (head hooks such as authentication, the router, handlers) sees these
/// segments and nothing else, so a check on the path and the route that serves it can never
/// disagree about what the path is: `/%761/models` is `/v1/models` for both.
///
/// Paths that could mean two things are refused (400) instead of normalised:
/// - a segment that is `.` or `..` once decoded (RFC 3986 §5.2.4 would remove them, a file
///   server would climb with them; here they never name a resource);
/// - an empty segment, `//` anywhere. A single trailing `/` is allowed and kept as a final
///   empty segment, so `/ui/` (a directory-style URL) is its own path and `/v1/models/` is
///   simply not `/v1/models` (404), never silently read as it;
/// - `%2F`, an encoded `/`, which would otherwise be a `/` inside a segment after decoding and a
///   separator to anything that decodes before splitting;
/// - a malformed escape (`%`, `%4`, `%zz`), a decoded byte sequence that is not UTF-8, and a
///   decoded control character (NUL, CR, LF, DEL …), which has no business in a name.
///
/// Decoding happens once: `%2576` is the three characters `%76`, not `v`.
public struct HTTPRequestPath: Sendable, Hashable, CustomStringConvertible {
    /// The decoded segments after the leading `/`; empty for `/`; a trailing `/` gives a final
    /// empty segment (`/ui/` is ["ui", ""]).
    public let segments: [String]

    public init(segments: [String]) { self.segments = segments }

    /// The decoded path, `/` followed by the segments joined with `/`. Unambiguous because no
    /// segment can contain `/`.
    public var description: String { "/" + segments.joined(separator: "/") }

    /// Decodes `raw`, the path part of a request-target (starting with `/`, no query).
    public static func decode(_ raw: String) throws -> HTTPRequestPath {
        let bytes = Array(raw.utf8)
        guard bytes.first == 0x2F else {
            throw HTTPError.invalidPath(path: raw, reason: "it must start with '/'")
        }
        if bytes.count == 1 { return HTTPRequestPath(segments: []) }
        var segments: [String] = []
        var start = 1
        while true {
            let end = bytes[start...].firstIndex(of: 0x2F) ?? bytes.count
            let isLast = end == bytes.count
            if isLast && start == end {
                segments.append("")  // a trailing "/"
                break
            }
            segments.append(try decodeSegment(bytes[start..<end], raw: raw, position: segments.count + 1))
            if end == bytes.count { break }
            start = end + 1
        }
        return HTTPRequestPath(segments: segments)
    }

    private static func decodeSegment(_ encoded: ArraySlice<UInt8>, raw: String, position: Int) throws -> String {
        func refuse(_ reason: String) -> HTTPError {
            HTTPError.invalidPath(path: raw, reason: "segment \(position) \(reason)")
        }
        if encoded.isEmpty {
            throw refuse("is empty ('//'); remove the extra '/'")
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var i = encoded.startIndex
        while i < encoded.endIndex {
            let byte = encoded[i]
            guard byte == 0x25 else {
                decoded.append(byte)
                i += 1
                continue
            }
            guard i + 2 < encoded.endIndex,
                let high = HTTPSyntax.hexValue(encoded[i + 1]), let low = HTTPSyntax.hexValue(encoded[i + 2])
            else {
                throw refuse("has a '%' that is not followed by two hex digits; write a literal '%' as %25")
            }
            let value = UInt8(high << 4 | low)
            if value == 0x2F {
                throw refuse("contains an encoded '/' (%2F); '/' only separates segments")
            }
            decoded.append(value)
            i += 3
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw refuse("does not decode to UTF-8 text")
        }
        if decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw refuse("decodes to a control character")
        }
        if text == "." || text == ".." {
            throw refuse("is '\(text)' once decoded; send the path without dot segments")
        }
        return text
    }
}
