import Foundation

/// A parsed value written back out: sweep parameters are stored and answered as the JSON the
/// client sent, and a trial's job body is built as a `JSONValue` and checked by the same typed
/// decoders as `POST /v1/jobs`.
extension JSONValue: Encodable {
    /// Integral numbers below 2^53 in magnitude are written as integers, so that a field
    /// decoded as `Int` (`batch_size`, `units`) reads them back (every such double is exact).
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .number(let value):
            var c = encoder.singleValueContainer()
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try c.encode(Int64(value))
            } else {
                try c.encode(value)
            }
        case .string(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .array(let values):
            var c = encoder.unkeyedContainer()
            for value in values { try c.encode(value) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for (key, value) in members { try c.encode(value, forKey: AnyCodingKey(stringLiteral: key)) }
        }
    }

    /// The value as JSON text (UTF-8).
    var jsonBytes: [UInt8] {
        get throws { [UInt8](try JSONEncoder().encode(self)) }
    }

    /// Short JSON text for messages (long values are cut).
    var brief: String {
        let text = (try? jsonBytes).map { String(decoding: $0, as: UTF8.self) } ?? kindName
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }
}
