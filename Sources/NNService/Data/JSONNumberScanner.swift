#if canImport(Glibc)
import Glibc
#endif

/// A cursor over JSON bytes that need not end in a terminator: whitespace, numbers (RFC 8259
/// §6, converted as `JSONParser` converts them) and skipping a whole value. Reading past the
/// end yields 0, which no token contains, so every loop stops there.
///
/// The bytes may be a window of a longer body that is still arriving: `base` is the body offset
/// of the window's first byte (errors name body offsets), and `touchedEnd` records that the
/// scanner looked past the window's end, where the outcome could change once more bytes come.
struct JSONNumberScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    let base: Int
    var touchedEnd = false

    init(bytes: UnsafeBufferPointer<UInt8>, base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    @inline(__always)
    var peek: UInt8 {
        mutating get {
            if index < bytes.count { return bytes[index] }
            touchedEnd = true
            return 0
        }
    }

    func failure(_ message: String) -> JSONParser.Failure {
        JSONParser.Failure(offset: base + index, message: "\(message) at byte \(base + index)")
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
        touchedEnd = true
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; numbers of at most 15 significant digits
    /// and a decimal exponent within ±22 are exact with one multiplication or division, all
    /// others go through `strtod`.
    mutating func number() throws -> Double {
        let start = index
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digitCount = 0
        var exponent = 0
        if peek == UInt8(ascii: "0") {
            index += 1
        } else if Self.isDigit(peek) {
            while Self.isDigit(peek) {
                if digitCount < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(peek &- UInt8(ascii: "0"))
                } else {
                    exponent += 1
                }
                if mantissa > 0 { digitCount += 1 }
                index += 1
            }
        } else {
            throw failure("invalid number")
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard Self.isDigit(peek) else { throw failure("a decimal point needs digits after it") }
            while Self.isDigit(peek) {
                if digitCount < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(peek &- UInt8(ascii: "0"))
                    exponent -= 1
                    if mantissa > 0 { digitCount += 1 }
                }
                index += 1
            }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                exponentNegative = peek == UInt8(ascii: "-")
                index += 1
            }
            guard Self.isDigit(peek) else { throw failure("an exponent needs digits") }
            var value = 0
            while Self.isDigit(peek) {
                if value < 100_000 { value = value * 10 + Int(peek &- UInt8(ascii: "0")) }
                index += 1
            }
            exponent += exponentNegative ? -value : value
        }
        if digitCount <= 15 && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= Self.powersOfTen[-exponent] } else { value *= Self.powersOfTen[exponent] }
            return negative ? -value : value
        }
        // strtod needs a terminated string: the token, copied.
        var token = Array(bytes[start..<index])
        token.append(0)
        return token.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { strtod($0, nil) }
        }
    }

    /// 10^0 … 10^22, each exactly representable as a Double.
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Moves past one value without judging it (`JSONParser` does that on the bytes skipped):
    /// strings with their escapes, brackets balanced, anything else up to a delimiter.
    mutating func skipValue() throws {
        let start = index
        var depth = 0
        while true {
            guard index < bytes.count else {
                touchedEnd = true
                if depth == 0 && index > start { return }
                throw failure("the JSON ends early")
            }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while true {
                    guard index < bytes.count else {
                        touchedEnd = true
                        throw failure("a string is not closed")
                    }
                    let byte = bytes[index]
                    index += byte == UInt8(ascii: "\\") ? 2 : 1
                    if byte == UInt8(ascii: "\"") { break }
                }
                index = min(index, bytes.count)
                if depth == 0 { return }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= JSONParser.maxDepth else {
                    throw failure("the JSON nests deeper than \(JSONParser.maxDepth) levels")
                }
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return }
                depth -= 1
                index += 1
                if depth == 0 { return }
            case UInt8(ascii: ","), UInt8(ascii: ":"), 0x20, 0x09, 0x0A, 0x0D:
                if depth == 0 { return }
                index += 1
            default:
                index += 1
            }
        }
    }
}
