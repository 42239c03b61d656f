/// A job's or model's `name` and `tags`: what people call it and how they group it. Names are
/// 1–256 characters, tags 1–64, at most 20 tags with no duplicates; none may hold control
/// characters (they would break logs and the dashboard's rendering).
public struct Labels: Equatable, Sendable {
    public var name: String?
    public var tags: [String]

    public init(name: String? = nil, tags: [String] = []) {
        self.name = name
        self.tags = tags
    }

    static let maxNameLength = 256
    static let maxTagLength = 64
    static let maxTags = 20
    static let fields: Set<String> = ["name", "tags"]

    /// The labels given beside other members of a creation body (`POST /v1/jobs`,
    /// `POST /v1/models`); absent or null members mean none.
    static func from(_ body: JSONValue, pathPrefix: String = "") throws -> Labels {
        var labels = Labels()
        if let name = body["name"], name != .null { labels.name = try validName(name, path: pathPrefix + "name") }
        if let tags = body["tags"], tags != .null { labels.tags = try validTags(tags, path: pathPrefix + "tags") }
        return labels
    }

    static func validName(_ value: JSONValue, path: String) throws -> String {
        guard let name = value.stringValue else {
            throw ServiceError.invalid("'name' must be a string, got \(value.kindName)", path: path)
        }
        let length = name.unicodeScalars.count
        guard (1...maxNameLength).contains(length) else {
            throw ServiceError.invalid(
                "'name' must be 1 to \(maxNameLength) characters, got \(length); use null to remove it", path: path)
        }
        try rejectControlCharacters(name, what: "'name'", path: path)
        return name
    }

    static func validTags(_ value: JSONValue, path: String) throws -> [String] {
        guard let items = value.arrayValue else {
            throw ServiceError.invalid("'tags' must be an array of strings, got \(value.kindName)", path: path)
        }
        guard items.count <= maxTags else {
            throw ServiceError.invalid("at most \(maxTags) tags are allowed, got \(items.count)", path: path)
        }
        var tags: [String] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let tag = item.stringValue else {
                throw ServiceError.invalid("each tag must be a string, got \(item.kindName)", path: itemPath)
            }
            let length = tag.unicodeScalars.count
            guard (1...maxTagLength).contains(length) else {
                throw ServiceError.invalid(
                    "a tag must be 1 to \(maxTagLength) characters, got \(length)", path: itemPath)
            }
            try rejectControlCharacters(tag, what: "a tag", path: itemPath)
            guard !tags.contains(tag) else {
                throw ServiceError.invalid("the tag '\(tag)' is given twice; give each tag once", path: itemPath)
            }
            tags.append(tag)
        }
        return tags
    }

    private static func rejectControlCharacters(_ text: String, what: String, path: String) throws {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            throw ServiceError.invalid("\(what) must not contain control characters", path: path)
        }
    }
}

/// A JSON merge patch (RFC 7396) of a job's or model's labels: a member left out keeps its
/// value, `null` removes it, and `tags` is replaced as a whole (§2: arrays are not merged).
public struct LabelsPatch: Sendable {
    public var name: String??
    public var tags: [String]?

    /// A patch built in code: `name` `.some(nil)` removes the name, nil leaves it.
    public init(name: String?? = nil, tags: [String]? = nil) {
        self.name = name
        self.tags = tags
    }

    init(_ body: JSONValue) throws {
        guard let members = body.objectMembers else {
            throw ServiceError.invalid(
                "the body must be a JSON object such as {\"name\": \"…\", \"tags\": [\"…\"]}", path: nil)
        }
        for (key, _) in members where !Labels.fields.contains(key) {
            throw ServiceError.invalid(
                "'\(key.prefix(64))' cannot be changed; only 'name' and 'tags' can", path: String(key.prefix(256)),
                code: "unknown_field")
        }
        if let value = body["name"] { name = .some(value == .null ? nil : try Labels.validName(value, path: "name")) }
        if let value = body["tags"] { tags = value == .null ? [] : try Labels.validTags(value, path: "tags") }
    }

    public func applied(to labels: Labels) -> Labels {
        var result = labels
        if let name { result.name = name }
        if let tags { result.tags = tags }
        return result
    }
}
