import Foundation
import MicroHTTP
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end over loopback TCP: many idle connections, slow clients, the connection bound,
/// graceful shutdown, IPv6.
final class HTTPServerTests: XCTestCase {
    private func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/ping") { _ in .json(.ok, #"{"ok":true}"#) }
        router.get("/slow/{ms}") { request in
            let ms = Int(request.pathParameters["ms"] ?? "") ?? 0
            return .deferred { responder in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(ms)) {
                    responder.respond(.text(.ok, "done"))
                }
            }
        }
        return router
    }

    private func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }

    func testFiveHundredIdleConnectionsDoNotDelayANormalRequest() throws {
        XCTAssertGreaterThanOrEqual(raiseDescriptorLimit(to: 4096), 1200, "cannot open enough descriptors")
        let test = try TestServer(router: router(), listen: true, maxConnectionsPerClient: 1024)
        let port = test.server.port
        var idle: [TestClient] = []
        for _ in 0..<500 { idle.append(try XCTUnwrap(TestClient(port: port))) }
        // Half of them have started a request and stopped.
        for client in idle.prefix(250) { client.send("GET /ping HTTP/1.1\r\nHo") }
        XCTAssertTrue(waitUntil(5) { test.server.connectionCount == 500 })
        let started = Date()
        let client = try XCTUnwrap(TestClient(port: port))
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = client.readResponse(timeout: 1)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response?.status, 200)
        XCTAssertLessThan(elapsed, 1.0)
        test.server.shutdown(gracePeriod: 1)
        XCTAssertEqual(test.server.connectionCount, 0)
    }

    func testSlowClientIsClosedAfterHeaderTimeoutWhileOthersAreServed() throws {
        let limits = HTTPLimits(headerTimeout: 0.6, idleTimeout: 5)
        let test = try TestServer(router: router(), limits: limits, listen: true)
        let slow = try XCTUnwrap(TestClient(port: test.server.port))
        let fast = try XCTUnwrap(TestClient(port: test.server.port))
        let request = Array("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let started = Date()
        var served = 0
        var slowAnswer: ClientResponse?
        for (i, byte) in request.enumerated() {
            slow.send([byte])
            fast.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            if fast.readResponse(timeout: 0.5)?.status == 200 { served += 1 }
            if let answer = slow.readResponse(timeout: 0.1) {
                slowAnswer = answer
                XCTAssertLessThan(i, request.count - 1, "the slow request was cut off before it completed")
                break
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(slowAnswer?.status, 408)
        XCTAssertTrue(slowAnswer?.text.contains("request_timeout") ?? false)
        XCTAssertTrue(slow.isClosed())
        XCTAssertGreaterThan(elapsed, 0.5)
        XCTAssertLessThan(elapsed, 2.0)
        XCTAssertGreaterThanOrEqual(served, 3, "the fast client was served throughout")
        fast.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(fast.readResponse()?.status, 200)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let test = try TestServer(router: router(), limits: HTTPLimits(idleTimeout: 0.2), listen: true)
        let client = try XCTUnwrap(TestClient(port: test.server.port))
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertTrue(client.isClosed(timeout: 2))
    }

    func testConnectionsBeyondTheLimitGet503WithRetryAfter() throws {
        let test = try TestServer(router: router(), maxConnections: 2, listen: true)
        let first = try XCTUnwrap(TestClient(port: test.server.port))
        let second = try XCTUnwrap(TestClient(port: test.server.port))
        XCTAssertTrue(waitUntil(2) { test.server.connectionCount == 2 })
        let third = try XCTUnwrap(TestClient(port: test.server.port))
        let refused = try XCTUnwrap(third.readResponse())
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.header("Retry-After"), "1")
        XCTAssertTrue(refused.text.contains("service_unavailable"))
        XCTAssertTrue(third.isClosed())
        for client in [first, second] {
            client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(client.readResponse()?.status, 200)
        }
    }

    func testGracefulShutdownFinishesInFlightRequests() throws {
        let test = try TestServer(router: router(), listen: true)
        let busy = try XCTUnwrap(TestClient(port: test.server.port))
        let idle = try XCTUnwrap(TestClient(port: test.server.port))
        XCTAssertTrue(waitUntil(2) { test.server.connectionCount == 2 })
        busy.send("GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(50_000)
        let stopped = expectation(description: "shutdown returned")
        let server = test.server
        DispatchQueue.global().async {
            server.shutdown(gracePeriod: 5)
            stopped.fulfill()
        }
        XCTAssertTrue(idle.isClosed(timeout: 1), "idle connections close at once")
        let response = try XCTUnwrap(busy.readResponse())
        XCTAssertEqual(response.text, "done")
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(busy.isClosed())
        busy.close()
        wait(for: [stopped], timeout: 3)
        XCTAssertNil(TestClient(port: server.port), "no longer accepting")
    }

    func testShutdownDeadlineClosesStuckRequests() throws {
        var router = router()
        router.get("/stuck") { _ in .stream(contentType: "text/plain") { _ in } }
        let test = try TestServer(router: router, listen: true)
        let client = try XCTUnwrap(TestClient(port: test.server.port))
        client.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse(timeout: 0.2)?.status, nil)
        XCTAssertTrue(waitUntil(2) { test.server.connectionCount == 1 })
        let started = Date()
        test.server.shutdown(gracePeriod: 0.3)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
        XCTAssertEqual(test.server.connectionCount, 0)
        XCTAssertTrue(client.isClosed())
    }

    func testIPv6Loopback() throws {
        let test: TestServer
        do {
            test = try TestServer(router: router(), listen: true, host: "::1")
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        let client = try XCTUnwrap(TestClient(port: test.server.port, host: "::1"))
        client.send("GET /ping HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertTrue(test.records.all.first?.remoteAddress?.hasPrefix("[::1]:") ?? false)
    }
}
