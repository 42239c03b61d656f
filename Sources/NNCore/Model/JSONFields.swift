/// Decoding helpers that reject unknown fields: a typo in a request must never be ignored.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// Throws a `SpecError` naming the first field that is not in `allowed`.
    func rejectUnknownFields(allowed: Set<String>, context: String) throws {
        for key in allKeys.map(\.stringValue).sorted() where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            throw SpecError(
                code: "unknown_field", path: key,
                "unknown field '\(key)' for \(context); allowed fields are: \(known)")
        }
    }

    /// Whether the body has the field. A `null` is refused rather than read as "absent": the
    /// API's request schemas declare no nullable field, and a client that sends `null` most
    /// likely meant a value, so it should learn that the default was not what it asked for.
    func present(_ name: String) throws -> Bool {
        let key = AnyKey(name)
        guard contains(key) else { return false }
        if try decodeNil(forKey: key) {
            throw SpecError(
                code: "invalid_type", path: name,
                "'\(name)' is null; give a value, or leave the field out for its default")
        }
        return true
    }

    func optional<T: Decodable>(_ type: T.Type, _ name: String) throws -> T? {
        let key = AnyKey(name)
        guard try present(name) else { return nil }
        do {
            return try decode(T.self, forKey: key)
        } catch let error as SpecError {
            throw error.prefixed(name)
        } catch {
            throw SpecError(code: "invalid_type", path: name, "'\(name)' must be \(Self.describe(T.self))")
        }
    }

    func required<T: Decodable>(_ type: T.Type, _ name: String, context: String) throws -> T {
        guard let value = try optional(type, name) else {
            throw SpecError(code: "missing_field", path: name, "\(context) needs '\(name)' (\(Self.describe(T.self)))")
        }
        return value
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is [Int].Type: return "an array of integers"
        case is [String].Type: return "an array of strings"
        case is IntPair.Type: return "an integer or an array of two integers"
        default: return "a value of the documented form"
        }
    }
}

/// An integer or a pair `[h, w]` (kernel sizes, strides, pool sizes).
public struct IntPair: Codable, Equatable, Sendable {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.init(value, value)
            return
        }
        let pair = try container.decode([Int].self)
        guard pair.count == 2 else {
            throw SpecError(path: "", "expected an integer or an array of two integers, got \(pair.count) values")
        }
        self.init(pair[0], pair[1])
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if height == width { try container.encode(height) } else { try container.encode([height, width]) }
    }
}
