import Foundation
import NNCore
import NNService
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    func testValuesAndOrder() throws {
        let value = try parse(#" {"b": [1, -2.5e3, true, null, "x\n\u00e9\ud83d\ude00"], "a": {}} "#)
        XCTAssertEqual(value.objectMembers?.map(\.0), ["b", "a"])
        XCTAssertEqual(value["b"], .array([.number(1), .number(-2500), .bool(true), .null, .string("x\né😀")]))
    }

    /// The exact fast path and strtod agree with Swift's own parser on every number, to the bit.
    func testNumbersAreCorrectlyRounded() throws {
        var rng = SeededGenerator(seed: 1)
        var samples = [
            "0", "-0", "0.1", "1e22", "1e23", "123456789012345", "1234567890123456789", "9007199254740993",
            "0.000001234", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "-0.0", "1E+2",
        ]
        for _ in 0..<2000 {
            let digits = (0..<(1 + rng.index(below: 18))).map { _ in String(rng.index(below: 10)) }.joined()
            let point = rng.index(below: digits.count + 1)
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            while text.hasPrefix("0") && text.count > 1 && !text.hasPrefix("0.") { text.removeFirst() }
            if rng.index(below: 3) == 0 { text += "e\(rng.index(below: 60) - 30)" }
            samples.append(rng.index(below: 2) == 0 ? "-" + text : text)
        }
        for text in samples {
            guard case let .number(value) = try parse(text) else { return XCTFail(text) }
            XCTAssertEqual(value.bitPattern, Double(text)!.bitPattern, text)
        }
    }

    func testMalformedInputIsRejected() {
        for text in [
            "", "NaN", "[NaN]", "Infinity", "-Infinity", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "0x10",
            "[1 2]", "{a:1}", "\"\\x\"", "\"a", "[", "tru", "nul", "1 2", "\"\u{01}\"",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ] {
            XCTAssertThrowsError(try parse(text), text)
        }
    }
}
