import MicroHTTP
import XCTest

final class HTTPRequestDecoderTests: XCTestCase {
    func testSimpleGet() {
        let outcome = decodeBothWays("GET /v1/jobs?limit=5 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        XCTAssertNil(outcome.error)
        let head = outcome.requests.first?.head
        XCTAssertEqual(head?.method, .get)
        XCTAssertEqual(head?.target, "/v1/jobs?limit=5")
        XCTAssertEqual(head?.version, .http1_1)
        XCTAssertEqual(head?.headers["accept"], "*/*")
        XCTAssertEqual(head?.framing, HTTPRequestHead.BodyFraming.none)
        XCTAssertEqual(head?.keepAlive, true)
    }

    func testPipelinedRequestsComeOutInOrder() {
        let raw =
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let outcome = decodeBothWays(raw)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.requests.map(\.head.target), ["/a", "/b", "/c", "/d"])
        XCTAssertEqual(outcome.requests.map { String(decoding: $0.body, as: UTF8.self) }, ["", "hello", "abc", ""])
        XCTAssertEqual(outcome.requests.map(\.head.keepAlive), [true, true, true, false])
    }

    func testKeepAliveRulesPerVersion() {
        XCTAssertEqual(decode("GET / HTTP/1.0\r\n\r\n").requests.first?.head.keepAlive, false)
        XCTAssertEqual(decode("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").requests.first?.head.keepAlive, true)
        XCTAssertEqual(
            decode("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n").requests.first?.head.keepAlive,
            false)
    }

    func testExpectContinue() {
        let outcome = decode("PUT /w HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        XCTAssertEqual(outcome.requests.first?.head.expectsContinue, true)
        XCTAssertEqual(outcome.requests.first?.body, Array("ok".utf8))
    }

    func testLeadingEmptyLinesAreIgnored() {
        XCTAssertEqual(decodeBothWays("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").requests.count, 1)
    }

    func testTruncatedRequestsAreReported() {
        let cuts = [
            "GET / HTT",
            "GET / HTTP/1.1\r\nHost: x\r\n",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
        ]
        for raw in cuts {
            var decoder = HTTPRequestDecoder()
            decoder.feed(Array(raw.utf8))
            while (try? decoder.next()) != nil {}
            XCTAssertThrowsError(try decoder.finish(), raw) { XCTAssertEqual($0 as? HTTPError, .truncated) }
        }
        var complete = HTTPRequestDecoder()
        complete.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        while (try? complete.next()) != nil {}
        XCTAssertNoThrow(try complete.finish())
    }

    func testErrorsAreSticky() {
        var decoder = HTTPRequestDecoder()
        decoder.feed(Array("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx".utf8))
        XCTAssertThrowsError(try decoder.next())
        decoder.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        XCTAssertThrowsError(try decoder.next())
    }

    func testRequestLineAndFieldSyntaxTable() {
        let cases: [DecoderCase] = [
            .init(
                name: "absolute-form", raw: "GET http://example.com/a HTTP/1.1\r\nHost: example.com\r\n\r\n",
                status: 200),
            .init(name: "asterisk-form OPTIONS", raw: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", status: 200),
            .init(name: "asterisk-form GET", raw: "GET * HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "authority-form", raw: "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "HTTP/1.0 without Host", raw: "GET / HTTP/1.0\r\n\r\n", status: 200),
            .init(name: "HTTP/1.1 without Host", raw: "GET / HTTP/1.1\r\n\r\n", status: 400),
            .init(name: "two Host fields", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
            .init(name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
            .init(name: "HTTP/0.9", raw: "GET / HTTP/0.9\r\nHost: x\r\n\r\n", status: 505),
            .init(name: "HTTP/1.2 served as 1.1", raw: "GET / HTTP/1.2\r\nHost: x\r\n\r\n", status: 200),
            .init(name: "lowercase version", raw: "GET / http/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "version with extra digit", raw: "GET / HTTP/1.10\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "no version", raw: "GET /\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "double space", raw: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "space in target", raw: "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "tab separator", raw: "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "raw UTF-8 in target", raw: "GET /caf\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "NUL in target", raw: "GET /a\u{0}b HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "bad method byte", raw: "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
            .init(name: "bare LF line ends", raw: "GET / HTTP/1.1\nHost: x\n\n", status: 400),
            .init(name: "bare CR in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", status: 400),
            .init(name: "NUL in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", status: 400),
            .init(name: "DEL in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{7f}b\r\n\r\n", status: 400),
            .init(name: "tab in value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n\r\n", status: 200),
            .init(name: "space before colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", status: 400),
            .init(name: "space inside name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", status: 400),
            .init(name: "slash in name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX/A: b\r\n\r\n", status: 400),
            .init(name: "NUL in name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX\u{0}A: b\r\n\r\n", status: 400),
            .init(name: "UTF-8 in name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-\u{e9}: b\r\n\r\n", status: 400),
            .init(name: "empty name", raw: "GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", status: 400),
            .init(name: "no colon", raw: "GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", status: 400),
            .init(name: "obs-fold", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", status: 400),
            .init(name: "empty value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n", status: 200),
            .init(name: "POST without length", raw: "POST / HTTP/1.1\r\nHost: x\r\n\r\n", status: 411),
            .init(name: "PUT without length", raw: "PUT / HTTP/1.1\r\nHost: x\r\n\r\n", status: 411),
            .init(name: "DELETE without length", raw: "DELETE /a HTTP/1.1\r\nHost: x\r\n\r\n", status: 200),
        ]
        for row in cases { row.check() }
    }

    func testFieldValuesAreTrimmedAndKeptInOrder() {
        let outcome = decodeBothWays("GET / HTTP/1.1\r\nHost: x\r\nX-A:  one \t\r\nx-a: two\r\n\r\n")
        let headers = outcome.requests.first?.head.headers
        XCTAssertEqual(headers?.values(for: "X-A"), ["one", "two"])
        XCTAssertEqual(headers?.fields.map(\.name), ["Host", "X-A", "x-a"])
    }
}
