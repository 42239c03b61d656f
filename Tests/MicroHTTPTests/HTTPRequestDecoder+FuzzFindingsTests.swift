import MicroHTTP
import XCTest

/// Inputs found by scripts/fuzz-http.sh, kept so the fixes stay fixed. The fuzzer decodes each
/// input whole and in pieces and requires the same outcome; so do these tests.
final class HTTPRequestDecoderFuzzFindingsTests: XCTestCase {
    private let fuzzLimits = HTTPLimits(
        maxRequestLineBytes: 48, maxHeaderSectionBytes: 160, maxHeaderFields: 6, maxBodyBytes: 96)

    private func assertSplitIndependent(
        _ bytes: [UInt8], limits: HTTPLimits, file: StaticString = #filePath, line: UInt = #line
    ) -> DecodeOutcome {
        let whole = decode(bytes, limits: limits)
        for step in 1...16 {
            XCTAssertEqual(
                decode(bytes, limits: limits, step: step), whole, "pieces of \(step)", file: file, line: line)
        }
        return whole
    }

    /// A request line over the limit that ends in a bare LF gave 400 when read whole (the bare
    /// LF was seen first) but 414 when read in pieces (the length was seen first).
    func testOverlongLineEndingInBareLF() {
        let bytes: [UInt8] =
            Array("/a&HTTP/1.2\rGET / /a&".utf8) + Array(repeating: 0xFF, count: 33) + Array("HTTP/1\n\r\n".utf8)
        let outcome = assertSplitIndependent(bytes, limits: fuzzLimits)
        XCTAssertEqual(outcome.error, .uriTooLong(limit: 48))
    }

    /// At exactly limit + 1 bytes before a bare LF, the bare LF decides, whole or in pieces.
    func testLineOfLimitPlusOneEndingInBareLF() {
        let line = Array(repeating: UInt8(ascii: "a"), count: 49) + [0x0A]
        XCTAssertEqual(assertSplitIndependent(line, limits: fuzzLimits).error?.status.code, 400)
    }
}
