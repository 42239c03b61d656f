import Foundation
import MicroHTTP
import XCTest

/// Requests refused from their head: no `100 Continue`, no body read or inflated, and the
/// connection closed when a body was on its way.
final class HTTPConnectionAdmissionTests: XCTestCase {
    /// A router whose `/v1` routes need "Authorization: Bearer secret", counting what runs.
    private func router(handled: Counter, bodyHooks: Counter) -> HTTPRouter {
        var router = HTTPRouter()
        router.beforeBody { request in
            guard request.pathSegments.first == "v1" else { return nil }
            XCTAssertTrue(request.body.isEmpty, "head hooks never see body bytes")
            if request.headers["Authorization"] == "Bearer secret" { return nil }
            return .error(.unauthorized, code: "unauthorized", message: "send the token")
        }
        router.before { _ in
            bodyHooks.increment(); return nil
        }
        router.post("/v1/upload") { request in
            handled.increment()
            return .text(.ok, "got \(request.body.count)")
        }
        router.get("/v1/models") { _ in
            handled.increment(); return .text(.ok, "models")
        }
        return router
    }

    func testUnauthenticatedExpectContinueUploadGets401AndNoContinue() throws {
        let handled = Counter(), bodyHooks = Counter()
        let test = try TestServer(router: router(handled: handled, bodyHooks: bodyHooks))
        let client = test.pairedClient()
        client.send("POST /v1/upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 500000000\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse(timeout: 2))
        XCTAssertEqual(response.status, 401, "the first thing the client hears is the refusal, not 100 Continue")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.isClosed())
        XCTAssertEqual(handled.value, 0)
        XCTAssertEqual(bodyHooks.value, 0)
    }

    func testRefusalDoesNotWaitForTheBody() throws {
        let handled = Counter(), bodyHooks = Counter()
        let test = try TestServer(router: router(handled: handled, bodyHooks: bodyHooks))
        let client = test.pairedClient()
        // A gzip bomb's head and the first of its bytes: the answer comes at once, before the
        // rest is sent, so nothing was waiting to buffer or inflate it.
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 16 << 20), level: 9)
        client.send(
            "POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
        client.send(Array(bomb.prefix(100)))
        let response = try XCTUnwrap(client.readResponse(timeout: 2))
        XCTAssertEqual(response.status, 401)
        XCTAssertTrue(client.isClosed())
        XCTAssertEqual(handled.value + bodyHooks.value, 0)
        XCTAssertEqual(test.records.all.map(\.status), [401])
    }

    func testRefusalWithoutBodyKeepsTheConnection() throws {
        let handled = Counter(), bodyHooks = Counter()
        let test = try TestServer(router: router(handled: handled, bodyHooks: bodyHooks))
        let client = test.pairedClient()
        client.send("GET /%761/models HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 401, "an encoded spelling of /v1 is still /v1")
        client.send("GET /v%31/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "models")
        XCTAssertEqual(handled.value, 1)
    }

    func testAuthorisedExpectContinueStillGetsContinue() throws {
        let handled = Counter(), bodyHooks = Counter()
        let test = try TestServer(router: router(handled: handled, bodyHooks: bodyHooks))
        let client = test.pairedClient()
        client.send(
            "POST /v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        )
        XCTAssertEqual(client.readResponse()?.status, 100)
        client.send("abc")
        XCTAssertEqual(client.readResponse()?.text, "got 3")
        XCTAssertEqual(bodyHooks.value, 1)
    }

    func testBadPathsAre400OverTheWire() throws {
        let handled = Counter(), bodyHooks = Counter()
        let test = try TestServer(router: router(handled: handled, bodyHooks: bodyHooks))
        let client = test.pairedClient()
        for target in ["/v1/%2e%2e/v1/models", "/v1//models", "/v1/models//", "/v1%2Fmodels", "/v1/models%00"] {
            client.send("GET \(target) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n")
            let response = try XCTUnwrap(client.readResponse(), target)
            XCTAssertEqual(response.status, 400, target)
            XCTAssertTrue(response.text.contains(#""code":"invalid_path""#), response.text)
        }
        let upload = test.pairedClient()
        upload.send("POST /v1/../upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        XCTAssertEqual(upload.readResponse()?.status, 400)
        XCTAssertTrue(upload.isClosed(), "the unread body ends the connection")
        XCTAssertEqual(handled.value, 0)
        XCTAssertEqual(test.records.all.last?.path, "/v1/../upload", "logs show the path as received")
    }

    func testInflationAndBodyHooksRunOffTheLoop() throws {
        var router = HTTPRouter()
        router.post("/where") { _ in .text(.ok, Thread.current.name ?? "?") }
        let test = try TestServer(router: router)
        let client = test.pairedClient()
        client.send("POST /where HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
        let loopThread = client.readResponse()?.text ?? ""
        XCTAssertTrue(loopThread.hasPrefix("http.loop."), loopThread)
        let body = Gzip.compress(Array("x".utf8))
        client.send(
            "POST /where HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(body.count)\r\n\r\n")
        client.send(body)
        let thread = client.readResponse()?.text ?? ""
        XCTAssertTrue(thread.hasPrefix("http.work."), thread)
    }
}
