import MicroHTTP
import XCTest

/// Every size limit at N (accepted) and N + 1 (refused), fed whole and one byte at a time.
final class HTTPLimitsTests: XCTestCase {
    /// A request line of exactly `length` bytes.
    private func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    func testRequestLineLimit() {
        let limits = HTTPLimits(maxRequestLineBytes: 64)
        DecoderCase(name: "N", raw: requestLine(length: 64) + "\r\nHost: x\r\n\r\n", status: 200, limits: limits)
            .check()
        DecoderCase(name: "N+1", raw: requestLine(length: 65) + "\r\nHost: x\r\n\r\n", status: 414, limits: limits)
            .check()
        // Refused before the line ends, so a client cannot make us buffer an endless line.
        let partial = decode(requestLine(length: 200), limits: limits, step: 1)
        XCTAssertEqual(partial.error, .uriTooLong(limit: 64))
    }

    func testDefaultRequestLineLimitIs8KiB() {
        DecoderCase(name: "8 KiB", raw: requestLine(length: 8192) + "\r\nHost: x\r\n\r\n", status: 200).check()
        DecoderCase(name: "8 KiB + 1", raw: requestLine(length: 8193) + "\r\nHost: x\r\n\r\n", status: 414).check()
    }

    /// Field lines totalling exactly `bytes` bytes (CRLFs included), the first being Host.
    private func fieldLines(totalling bytes: Int) -> String {
        let host = "Host: x\r\n"
        let padding = bytes - host.utf8.count - "X-P: \r\n".utf8.count
        return host + "X-P: " + String(repeating: "p", count: padding) + "\r\n"
    }

    func testHeaderSectionSizeLimit() {
        let limits = HTTPLimits(maxHeaderSectionBytes: 100)
        DecoderCase(
            name: "N", raw: "GET / HTTP/1.1\r\n" + fieldLines(totalling: 100) + "\r\n", status: 200, limits: limits
        ).check()
        DecoderCase(
            name: "N+1", raw: "GET / HTTP/1.1\r\n" + fieldLines(totalling: 101) + "\r\n", status: 431, limits: limits
        ).check()
    }

    func testDefaultHeaderSectionLimitIs64KiB() {
        DecoderCase(name: "64 KiB", raw: "GET / HTTP/1.1\r\n" + fieldLines(totalling: 65536) + "\r\n", status: 200)
            .check()
        DecoderCase(name: "64 KiB + 1", raw: "GET / HTTP/1.1\r\n" + fieldLines(totalling: 65537) + "\r\n", status: 431)
            .check()
    }

    func testHeaderFieldCountLimit() {
        func request(fields: Int) -> String {
            "GET / HTTP/1.1\r\nHost: x\r\n" + (1..<fields).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        DecoderCase(name: "100 fields", raw: request(fields: 100), status: 200).check()
        DecoderCase(name: "101 fields", raw: request(fields: 101), status: 431).check()
        let limits = HTTPLimits(maxHeaderFields: 3)
        DecoderCase(name: "N", raw: request(fields: 3), status: 200, limits: limits).check()
        DecoderCase(name: "N+1", raw: request(fields: 4), status: 431, limits: limits).check()
    }

    func testBodyLimitIsCheckedBeforeTheBodyArrives() {
        let limits = HTTPLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: x\r\n"
        DecoderCase(
            name: "N", raw: head + "Content-Length: 10\r\n\r\n0123456789", status: 200, limits: limits,
            body: "0123456789"
        ).check()
        // No body bytes at all: the 413 comes from the head alone.
        DecoderCase(name: "N+1", raw: head + "Content-Length: 11\r\n\r\n", status: 413, limits: limits).check()
        XCTAssertEqual(decode(head + "Content-Length: 1073741825\r\n\r\n").error, .contentTooLarge(limit: 1 << 30))
        XCTAssertNil(decode(head + "Content-Length: 1073741824\r\n\r\n").error)
    }
}
