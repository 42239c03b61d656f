/// A strict JSON parser (RFC 8259) over bytes: no NaN or Infinity literals, no trailing
/// commas, no leading zeros, nesting limited to 64 levels. Numbers are validated against
/// the grammar of §6 before `strtod` converts them, so `inf`, `nan` and hex never pass.
public struct JSONParser {
    public struct Failure: Error, Equatable {
        public var offset: Int
        public var message: String
    }

    /// The input plus a terminating 0, which no token contains, so a scan stops at the end
    /// without a bounds check per byte.
    private let bytes: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    private var depth = 0
    static let maxDepth = 64

    /// Parses a whole document; anything but whitespace after the value is an error.
    public static func parse(_ input: [UInt8]) throws -> JSONValue {
        let terminated = input + [0]
        return try terminated.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer.baseAddress!, end: input.count)
            parser.skipWhitespace()
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.index == input.count else { throw parser.failure("unexpected text after the JSON value") }
            return value
        }
    }

    private init(bytes: UnsafePointer<UInt8>, end: Int) {
        self.bytes = bytes
        self.end = end
    }

    private func failure(_ message: String) -> Failure {
        Failure(offset: index, message: "\(message) at byte \(index)")
    }

    private var current: UInt8 { bytes[index] }

    private mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        guard index < end else { throw failure("the JSON ends early") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default:
            throw failure(
                "unexpected character '\(Character(Unicode.Scalar(current)))' (NaN and Infinity are not JSON)")
        }
    }

    private mutating func expect(_ word: String) throws {
        for byte in word.utf8 {
            guard index < end, current == byte else { throw failure("invalid literal, expected '\(word)'") }
            index += 1
        }
    }

    private mutating func nest() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw failure("the JSON nests deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws -> JSONValue {
        try nest()
        index += 1
        var members: [(String, JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; depth -= 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a quoted field name") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a field name") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            guard current == UInt8(ascii: "}") else { throw failure("expected ',' or '}' in an object") }
            index += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try nest()
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; depth -= 1; return .array(values) }
        while true {
            skipWhitespace()
            values.append(try parseValue())
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            guard current == UInt8(ascii: "]") else { throw failure("expected ',' or ']' in an array") }
            index += 1
            depth -= 1
            return .array(values)
        }
    }

    /// A number, by the one implementation of RFC 8259 §6's grammar and its conversion that
    /// the streaming data set reader also uses (`JSONNumberScanner.number`).
    private mutating func parseNumber() throws -> Double {
        var scanner = JSONNumberScanner(bytes: UnsafeBufferPointer(start: bytes, count: end))
        scanner.index = index
        defer { index = scanner.index }
        return try scanner.number()
    }

    private mutating func parseString() throws -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < end else { throw failure("a string is not closed") }
            let byte = current
            if byte == UInt8(ascii: "\"") { index += 1; break }
            guard byte >= 0x20 else { throw failure("control characters must be escaped in strings") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            let escape = current
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), current == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw failure("invalid escape in a string")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw failure("a string is not valid UTF-8") }
        return text
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < end, let digit = Int(String(Unicode.Scalar(current)), radix: 16) else {
                throw failure("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
