/// A route path such as "/v1/jobs/{id}/events": literal segments and `{name}` parameters that
/// match exactly one non-empty segment.
public struct HTTPRoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public let text: String
    let segments: [Segment]

    /// Patterns are written by programmers, so a malformed one stops the program at start-up.
    public init(_ text: String) {
        precondition(text.hasPrefix("/"), "route pattern '\(text)' must start with '/'")
        self.text = text
        segments = HTTPRoutePattern.split(text).map { segment -> Segment in
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            precondition(
                !segment.contains("{") && !segment.contains("}"), "route pattern '\(text)' has a malformed parameter")
            return .literal(String(segment))
        }
    }

    public var description: String { text }

    /// The segments of a pattern after its leading "/": "/" has none. Splits on UTF-8 code units
    /// (no grapheme breaking).
    static func split(_ path: String) -> [Substring] {
        let utf8 = path.utf8
        var start = utf8.startIndex
        if utf8.first == 0x2F { start = utf8.index(after: start) }
        guard start != utf8.endIndex else { return [] }
        var segments: [Substring] = []
        while true {
            let end = utf8[start...].firstIndex(of: 0x2F) ?? utf8.endIndex
            segments.append(path[start..<end])
            guard end != utf8.endIndex else { return segments }
            start = utf8.index(after: end)
        }
    }

    /// The parameters if the decoded path segments (`HTTPRequestPath`) match, else nil. The
    /// segments are decoded already and are never decoded again here.
    func match(_ pathSegments: [String]) -> [String: String]? {
        guard pathSegments.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, decoded) in zip(segments, pathSegments) {
            switch segment {
            case .literal(let literal):
                guard decoded == literal else { return nil }
            case .parameter(let name):
                guard !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }

    /// Orders overlapping patterns: at the first segment where they differ, a literal wins
    /// over a parameter, so "/v1/jobs/stats" beats "/v1/jobs/{id}" whatever the order of
    /// registration.
    func isMoreSpecific(than other: HTTPRoutePattern) -> Bool {
        for (mine, theirs) in zip(segments, other.segments) {
            switch (mine, theirs) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}
