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
        segments = HTTPRoutePattern.split(text).map { segment in
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            precondition(!segment.contains("{") && !segment.contains("}"), "route pattern '\(text)' has a malformed parameter")
            return .literal(String(segment))
        }
    }

    public var description: String { text }

    static func split<S: StringProtocol>(_ path: S) -> [S.SubSequence] {
        // "/" is no segments; "/a/" is ["a", ""], so a trailing slash is a different path.
        path.dropFirst().isEmpty ? [] : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }

    /// The parameters if `segments` (percent-decoded path segments) match, else nil.
    func match(_ pathSegments: [String]) -> [String: String]? {
        guard pathSegments.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, pathSegments) {
            switch segment {
            case .literal(let literal):
                guard literal == value else { return nil }
            case .parameter(let name):
                guard !value.isEmpty else { return nil }
                parameters[name] = value
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
