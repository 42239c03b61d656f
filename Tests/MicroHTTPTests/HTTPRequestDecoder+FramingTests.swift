import MicroHTTP
import XCTest

/// Request smuggling shapes (RFC 9112 §6.1, §6.3, §11.2): each must be refused, never guessed.
final class HTTPRequestDecoderFramingTests: XCTestCase {
    private let h = "POST /upload HTTP/1.1\r\nHost: x\r\n"

    func testSmugglingShapesAreRefused() {
        let cases: [DecoderCase] = [
            .init(
                name: "CL and TE", raw: h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                status: 400),
            .init(
                name: "TE and CL", raw: h + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
                status: 400),
            .init(
                name: "CL and TE with zero length",
                raw: h + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(
                name: "duplicate CL same value", raw: h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                status: 400),
            .init(
                name: "duplicate CL different", raw: h + "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
                status: 400),
            .init(name: "CL list", raw: h + "Content-Length: 3, 3\r\n\r\nabc", status: 400),
            .init(name: "CL signed", raw: h + "Content-Length: +3\r\n\r\nabc", status: 400),
            .init(name: "CL negative", raw: h + "Content-Length: -1\r\n\r\n", status: 400),
            .init(name: "CL hex", raw: h + "Content-Length: 0x3\r\n\r\nabc", status: 400),
            .init(name: "CL inner space", raw: h + "Content-Length: 1 2\r\n\r\n", status: 400),
            .init(name: "CL empty", raw: h + "Content-Length:\r\n\r\n", status: 400),
            .init(name: "CL decimal point", raw: h + "Content-Length: 3.0\r\n\r\nabc", status: 400),
            .init(name: "CL overflow", raw: h + "Content-Length: 99999999999999999999999\r\n\r\n", status: 413),
            .init(name: "CL leading zeros", raw: h + "Content-Length: 003\r\n\r\nabc", status: 200, body: "abc"),
            .init(name: "CL surrounding spaces", raw: h + "Content-Length:   3  \r\n\r\nabc", status: 200, body: "abc"),
            .init(
                name: "space before colon in TE", raw: h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(name: "TE obs-fold", raw: h + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(
                name: "TE chunked twice", raw: h + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(
                name: "TE chunked twice in two lines",
                raw: h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(
                name: "TE chunked not final", raw: h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", status: 400),
            .init(name: "TE identity", raw: h + "Transfer-Encoding: identity\r\n\r\n", status: 400),
            .init(
                name: "TE unknown then chunked", raw: h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                status: 501),
            .init(name: "TE trailing comma", raw: h + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", status: 400),
            .init(name: "TE misspelt", raw: h + "Transfer-Encoding: chunk\r\n\r\n0\r\n\r\n", status: 400),
            .init(
                name: "TE with vertical tab", raw: h + "Transfer-Encoding: \u{0b}chunked\r\n\r\n0\r\n\r\n", status: 400),
            .init(name: "TE mixed case", raw: h + "transfer-encoding: Chunked\r\n\r\n0\r\n\r\n", status: 200, body: ""),
            .init(
                name: "TE in HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                status: 400),
            .init(
                name: "bare CR line end in TE", raw: h + "Transfer-Encoding: chunked\rX: y\r\n\r\n0\r\n\r\n",
                status: 400),
        ]
        for row in cases { row.check() }
    }

    func testBodyIsNotReadPastContentLength() {
        let outcome = decodeBothWays(h + "Content-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.requests.count, 2)
        XCTAssertEqual(outcome.requests.first?.body, Array("abc".utf8))
    }

    func testSmuggledRequestInsideBodyIsJustBody() {
        let inner = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        let outcome = decodeBothWays(h + "Content-Length: \(inner.utf8.count)\r\n\r\n" + inner)
        XCTAssertEqual(outcome.requests.count, 1)
        XCTAssertEqual(outcome.requests.first?.body, Array(inner.utf8))
    }
}
