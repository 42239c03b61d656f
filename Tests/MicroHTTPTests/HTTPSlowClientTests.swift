import Foundation
import MicroHTTP
import XCTest

/// Clients that hold connections: bodies trickled below the minimum rate, quiet event streams,
/// and one address opening more than its share. Limits are small so the tests stay fast.
final class HTTPSlowClientTests: XCTestCase {
    private func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/ping") { _ in .json(.ok, #"{"ok":true}"#) }
        router.post("/echo") { request in .text(.ok, "got \(request.body.count)") }
        router.get("/events") { _ in
            // A stream that never writes on its own: only keep-alive comments flow.
            .eventStream { _ in }
        }
        return router
    }

    func testBodyBelowTheMinimumRateIsCutOffWith408() throws {
        let limits = HTTPLimits(bodyTimeout: 5, minBodyBytesPerSecond: 1000, minBodyRateGracePeriod: 0.3)
        let test = try TestServer(router: router(), limits: limits)
        let client = test.pairedClient()
        let started = Date()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        // A byte every 50 ms keeps the 5 s stall timeout from ever firing.
        var response: ClientResponse?
        for _ in 0..<40 {
            client.send("x")
            if let answer = client.readResponse(timeout: 0.05) {
                response = answer
                break
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response?.status, 408)
        XCTAssertTrue(response?.text.contains("request_timeout") ?? false)
        XCTAssertTrue(client.isClosed())
        XCTAssertGreaterThan(elapsed, 0.25)
        XCTAssertLessThan(elapsed, 1.5)
    }

    func testBodyAboveTheMinimumRateIsRead() throws {
        let limits = HTTPLimits(minBodyBytesPerSecond: 100, minBodyRateGracePeriod: 0.1)
        let test = try TestServer(router: router(), limits: limits)
        let client = test.pairedClient()
        client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n")
        // 40 bytes every 50 ms is 800 B/s, well above 100 B/s, for 0.25 s (past the grace).
        for _ in 0..<5 {
            client.send([UInt8](repeating: 0x61, count: 40))
            usleep(50_000)
        }
        XCTAssertEqual(client.readResponse()?.text, "got 200")
    }

    func testQuietEventStreamGetsKeepAliveComments() throws {
        let test = try TestServer(router: router(), limits: HTTPLimits(eventStreamKeepAliveInterval: 0.1))
        let client = test.pairedClient()
        client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        var received = ""
        let deadline = Date(timeIntervalSinceNow: 2)
        while Date() < deadline && received.components(separatedBy: ": keep-alive\n\n").count < 3 {
            client.fill(timeout: 0.2)
            received = client.bufferedText
        }
        XCTAssertTrue(received.contains("text/event-stream"), received)
        XCTAssertGreaterThanOrEqual(received.components(separatedBy: ": keep-alive\n\n").count - 1, 2, received)
    }

    func testShutdownEndsEventStreamsInsteadOfWaitingForThem() throws {
        let test = try TestServer(router: router(), listen: true)
        let client = try XCTUnwrap(TestClient(port: test.server.port))
        client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(client.fill(timeout: 2), "the stream's head arrived")
        let started = Date()
        test.server.shutdown(gracePeriod: 5)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        _ = client.isClosed(timeout: 1)
        XCTAssertTrue(client.bufferedText.hasSuffix("0\r\n\r\n"), "the chunked body ended cleanly")
    }

    func testOneAddressCannotHoldMoreThanItsShare() throws {
        let test = try TestServer(router: router(), listen: true, maxConnectionsPerClient: 3)
        let port = test.server.port
        let held = try (0..<3).map { _ in try XCTUnwrap(TestClient(port: port)) }
        let deadline = Date(timeIntervalSinceNow: 2)
        while test.server.connectionCount < 3 && Date() < deadline { usleep(5_000) }
        let fourth = try XCTUnwrap(TestClient(port: port))
        let refused = try XCTUnwrap(fourth.readResponse())
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.header("Retry-After"), "1")
        XCTAssertTrue(refused.text.contains("too_many_connections"), refused.text)
        XCTAssertTrue(fourth.isClosed())
        // Other addresses (here, sockets without one) are not counted against it.
        let paired = test.pairedClient()
        paired.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(paired.readResponse()?.status, 200)
        // A closed connection frees its slot.
        held[0].close()
        let freed = Date(timeIntervalSinceNow: 2)
        while test.server.connectionCount > 3 && Date() < freed { usleep(5_000) }
        let again = try XCTUnwrap(TestClient(port: port))
        again.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(again.readResponse()?.status, 200)
        test.server.shutdown(gracePeriod: 1)
    }
}
