import Foundation
import MicroHTTP
import XCTest

/// Connection behaviour over a socketpair: no ports, no listener, the real connection code.
final class HTTPConnectionTests: XCTestCase {
    private func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/ping") { _ in .json(.ok, #"{"ok":true}"#) }
        router.post("/echo") { request in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        router.get("/slow/{ms}") { request in
            let ms = Int(request.pathParameters["ms"] ?? "") ?? 0
            return .deferred { responder in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) {
                    responder.respond(.text(.ok, "slept \(ms)"))
                }
            }
        }
        router.get("/big") { _ in .text(.ok, String(repeating: "nnserve ", count: 1000)) }
        router.get("/fail") { _ in throw CocoaError(.fileNoSuchFile) }
        return router
    }

    func testKeepAliveServesSeveralRequests() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        for _ in 0..<3 {
            client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try XCTUnwrap(client.readResponse())
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.text, #"{"ok":true}"#)
            XCTAssertEqual(response.header("Content-Type"), "application/json")
            XCTAssertNotNil(response.header("Date"))
            XCTAssertNotNil(response.header("X-Request-Id"))
        }
        XCTAssertFalse(client.isClosed(timeout: 0.1))
    }

    func testPipelinedResponsesKeepRequestOrderEvenWhenDeferred() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send(
            "GET /slow/150 HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/10 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        XCTAssertEqual(client.readResponse()?.text, "slept 150")
        XCTAssertEqual(client.readResponse()?.text, #"{"ok":true}"#)
        XCTAssertEqual(client.readResponse()?.text, "slept 10")
    }

    func testConnectionCloseIsHonoured() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.isClosed())
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.header("Connection"), "keep-alive")
        client.send("GET /ping HTTP/1.0\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertTrue(client.isClosed())
    }

    func testChunkedRequestBody() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        XCTAssertEqual(client.readResponse()?.text, "hello world")
    }

    func testExpectContinue() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 100)
        client.send("body")
        XCTAssertEqual(client.readResponse()?.text, "body")
    }

    func testExpectContinueWithTooLargeBodyGets413Instead() throws {
        let test = try TestServer(router: router(), limits: HTTPLimits(maxBodyBytes: 10))
        let client = test.pairedClient()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 413)
        XCTAssertTrue(response.text.contains(#""code":"content_too_large""#))
        XCTAssertTrue(client.isClosed())
    }

    func testHeadHasLengthButNoBody() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try XCTUnwrap(client.readResponse(head: true))
        XCTAssertEqual(head.header("Content-Length"), "11")
        XCTAssertEqual(client.readResponse()?.text, #"{"ok":true}"#, "no stray body bytes after the HEAD response")
    }

    func testProtocolErrorsAnswerJSONAndClose() throws {
        let cases: [(String, Int, String)] = [
            (
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "bad_request"
            ),
            ("GET /ping HTTP/1.1\r\n\r\n", 400, "missing_host"),
            ("GET /ping HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"),
            ("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n", 411, "length_required"),
            ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request"),
        ]
        for (raw, status, code) in cases {
            let test = try TestServer(router: router())
            let client = test.pairedClient()
            client.send(raw)
            let response = try XCTUnwrap(client.readResponse(), raw)
            XCTAssertEqual(response.status, status, raw)
            XCTAssertEqual(response.header("Connection"), "close")
            XCTAssertEqual(response.header("Content-Type"), "application/json")
            XCTAssertTrue(response.text.hasPrefix(#"{"error":{"code":"\#(code)","message":""#), response.text)
            XCTAssertTrue(client.isClosed(), raw)
        }
    }

    func testTruncatedBodyAfterHalfCloseGets400() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        client.shutdownWrite()
        XCTAssertEqual(client.readResponse()?.status, 400)
        XCTAssertTrue(client.isClosed())
    }

    func testRoutingErrorsKeepTheConnection() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 404)
        client.send("DELETE /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.header("Allow"), "GET, HEAD")
        client.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 500)
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
    }

    func testGzipRequestBodyIsInflated() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        let body = Gzip.compress(Array("compressed hello".utf8))
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(body.count)\r\n\r\n")
        client.send(body)
        XCTAssertEqual(client.readResponse()?.text, "compressed hello")
    }

    func testGzipBombGets413() throws {
        let test = try TestServer(
            router: router(), limits: HTTPLimits(maxBodyBytes: 1 << 20, maxInflatedBodyBytes: 1 << 20))
        let client = test.pairedClient()
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 8 << 20), level: 9)
        XCTAssertLessThan(bomb.count, 1 << 20)
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
        client.send(bomb)
        XCTAssertEqual(client.readResponse()?.status, 413)
    }

    func testUnknownContentEncodingGets415() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx")
        XCTAssertEqual(client.readResponse()?.status, 415)
    }

    func testLargeCompressibleResponsesAreGzipped() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.header("Content-Encoding"), "gzip")
        XCTAssertEqual(response.header("Vary"), "Accept-Encoding")
        XCTAssertLessThan(response.body.count, 8000)
        XCTAssertEqual(
            String(decoding: try Gzip.decompress(response.body, limit: 1 << 20), as: UTF8.self),
            String(repeating: "nnserve ", count: 1000))
        client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertNil(client.readResponse()?.header("Content-Encoding"))
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        XCTAssertNil(client.readResponse()?.header("Content-Encoding"), "small bodies are sent as they are")
    }

    func testRequestIDIsEchoedOrGeneratedAndRecorded() throws {
        let test = try TestServer(router: router())
        let client = test.pairedClient()
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.header("X-Request-Id"), "abc-123")
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Request-Id: bad id\r\n\r\n")
        let generated = try XCTUnwrap(client.readResponse()?.header("X-Request-Id"))
        XCTAssertNotEqual(generated, "bad id")
        let records = test.records.all
        XCTAssertEqual(records.map(\.requestID), ["abc-123", generated])
        XCTAssertEqual(records.first?.route, "/ping")
        XCTAssertEqual(records.first?.status, 200)
        XCTAssertEqual(records.first?.bytes, 11)
    }

    func testHandlerQueueLetsHandlersBlockWithoutHoldingUpOthers() throws {
        var router = router()
        router.get("/block") { _ in
            usleep(400_000)
            return .text(.ok, "blocked")
        }
        // A concurrent queue runs up to one handler per core at once (Dispatch's pool width).
        let queue = DispatchQueue(label: "handlers", attributes: .concurrent)
        let test = try TestServer(router: router, handlerQueue: queue)
        let blocked = [test.pairedClient()]
        for client in blocked { client.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n") }
        usleep(50_000)
        let client = test.pairedClient()
        let started = Date()
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/10 HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertEqual(client.readResponse()?.text, "slept 10")
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.3)
        for client in blocked { XCTAssertEqual(client.readResponse()?.text, "blocked") }
        XCTAssertEqual(test.records.all.filter { $0.route == "/block" }.count, 1)
    }
}
