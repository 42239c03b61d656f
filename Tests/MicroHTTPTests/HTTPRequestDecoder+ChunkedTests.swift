import MicroHTTP
import XCTest

final class HTTPRequestDecoderChunkedTests: XCTestCase {
    private let h = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    func testChunkSizesTable() {
        let cases: [DecoderCase] = [
            .init(name: "two chunks", raw: h + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", status: 200, body: "abcde"),
            .init(name: "uppercase hex", raw: h + "A\r\n0123456789\r\n0\r\n\r\n", status: 200, body: "0123456789"),
            .init(name: "leading zeros", raw: h + "0003\r\nabc\r\n000\r\n\r\n", status: 200, body: "abc"),
            .init(name: "extension", raw: h + "3;name=value\r\nabc\r\n0;x\r\n\r\n", status: 200, body: "abc"),
            .init(name: "extension after BWS", raw: h + "3 ;name\r\nabc\r\n0\r\n\r\n", status: 200, body: "abc"),
            .init(name: "trailer fields", raw: h + "3\r\nabc\r\n0\r\nX-Checksum: 1\r\n\r\n", status: 200, body: "abc"),
            .init(name: "empty size", raw: h + "\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "non-hex size", raw: h + "g\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "0x prefix", raw: h + "0x3\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "negative size", raw: h + "-3\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "plus sign", raw: h + "+3\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "leading space", raw: h + " 3\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "trailing space without extension", raw: h + "3 \r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "size then junk", raw: h + "3x\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "bare LF after size", raw: h + "3\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "NUL in extension", raw: h + "3;a\u{0}\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "size overflow", raw: h + "fffffffffffffffffff\r\nabc\r\n0\r\n\r\n", status: 413),
            .init(name: "data longer than size", raw: h + "3\r\nabcd\r\n0\r\n\r\n", status: 400),
            .init(name: "data shorter than size", raw: h + "5\r\nabc\r\n0\r\n\r\n", status: 400),
            .init(name: "data then LF only", raw: h + "3\r\nabc\n0\r\n\r\n", status: 400),
            .init(name: "bad trailer", raw: h + "0\r\nX Bad: 1\r\n\r\n", status: 400),
            .init(name: "trailer obs-fold", raw: h + "0\r\nX-A: 1\r\n 2\r\n\r\n", status: 400),
        ]
        for row in cases { row.check() }
    }

    func testChunkedBodyLimitCountsAllChunks() {
        let limits = HTTPLimits(maxBodyBytes: 5)
        DecoderCase(
            name: "at limit", raw: h + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", status: 200, limits: limits, body: "abcde"
        ).check()
        DecoderCase(name: "one over", raw: h + "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", status: 413, limits: limits).check()
        DecoderCase(name: "one chunk over", raw: h + "6\r\n", status: 413, limits: limits).check()
    }

    func testTrailerSectionLimits() {
        let limits = HTTPLimits(maxHeaderFields: 2)
        DecoderCase(name: "two trailers", raw: h + "0\r\nA: 1\r\nB: 2\r\n\r\n", status: 200, limits: limits).check()
        DecoderCase(name: "three trailers", raw: h + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", status: 431, limits: limits)
            .check()
    }

    func testChunkLineLengthLimit() {
        let ext = String(repeating: "a", count: 5000)
        DecoderCase(name: "long extension", raw: h + "3;\(ext)\r\nabc\r\n0\r\n\r\n", status: 400).check()
    }
}
