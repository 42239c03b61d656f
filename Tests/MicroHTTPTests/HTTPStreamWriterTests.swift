import Foundation
import MicroHTTP
import XCTest

/// Streamed (chunked) responses: server-sent events, paced downloads, and clients that leave.
final class HTTPStreamWriterTests: XCTestCase {
    func testServerSentEventsArriveAndEnd() throws {
        var router = HTTPRouter()
        router.get("/events") { _ in
            .eventStream { writer in
                DispatchQueue.global().async {
                    for epoch in 1...3 {
                        writer.sendEvent("epoch", data: #"{"epoch":\#(epoch)}"#)
                        usleep(5_000)
                    }
                    writer.sendEvent("status", data: "line1\nline2")
                    writer.finish()
                }
            }
        }
        router.get("/ping") { _ in .text(.ok, "pong") }
        let test = try TestServer(router: router)
        let client = test.pairedClient()
        client.send(
            "GET /events HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.header("Content-Type"), "text/event-stream")
        XCTAssertEqual(response.header("Transfer-Encoding"), "chunked")
        XCTAssertNil(response.header("Content-Encoding"), "event streams are never compressed")
        XCTAssertEqual(
            response.text,
            """
            event: epoch\ndata: {"epoch":1}\n\nevent: epoch\ndata: {"epoch":2}\n\n\
            event: epoch\ndata: {"epoch":3}\n\nevent: status\ndata: line1\ndata: line2\n\n
            """)
        XCTAssertEqual(client.readResponse()?.text, "pong", "the pipelined request waited for the stream")
        XCTAssertEqual(test.records.all.first?.bytes, response.body.count)
    }

    func testPacedLargeDownload() throws {
        let total = 4 << 20
        let piece = 64 * 1024
        var router = HTTPRouter()
        router.get("/download") { _ in
            .stream(contentType: "application/octet-stream") { writer in
                @Sendable func next(_ sent: Int) {
                    guard sent < total else { writer.finish(); return }
                    let bytes = [UInt8](repeating: UInt8(sent / piece % 251), count: piece)
                    writer.write(bytes) { ok in if ok { next(sent + piece) } }
                }
                next(0)
            }
        }
        let test = try TestServer(router: router)
        let client = test.pairedClient()
        client.send("GET /download HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse(timeout: 10))
        XCTAssertEqual(response.body.count, total)
        XCTAssertEqual(response.body[piece * 3], 3)
    }

    func testClientLeavingCancelsTheStream() throws {
        let cancelled = expectation(description: "stream cancelled")
        let failedWrite = expectation(description: "a write reported failure")
        var router = HTTPRouter()
        router.get("/forever") { _ in
            .eventStream { writer in
                writer.onCancel { cancelled.fulfill() }
                // A timer source may be cancelled from any thread; the type predates Sendable.
                nonisolated(unsafe) let timer = DispatchSource.makeTimerSource(queue: .global())
                let reported = Flag()
                timer.schedule(deadline: .now(), repeating: .milliseconds(10))
                timer.setEventHandler {
                    writer.sendEvent(data: "tick") { ok in
                        if !ok && reported.set() { failedWrite.fulfill(); timer.cancel() }
                    }
                }
                timer.resume()
            }
        }
        let test = try TestServer(router: router)
        var client: TestClient? = test.pairedClient()
        client?.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(client?.fill(timeout: 2) ?? false)
        client = nil
        wait(for: [cancelled, failedWrite], timeout: 3)
        let deadline = Date(timeIntervalSinceNow: 2)
        while test.server.connectionCount > 0 && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(test.server.connectionCount, 0)
    }

    func testHTTP10StreamEndsByClosing() throws {
        var router = HTTPRouter()
        router.get("/s") { _ in
            .stream(contentType: "text/plain") { writer in
                writer.write("a")
                writer.write("b")
                writer.finish()
            }
        }
        let test = try TestServer(router: router)
        let client = test.pairedClient()
        client.send("GET /s HTTP/1.0\r\n\r\n")
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertNil(response.header("Transfer-Encoding"))
        XCTAssertEqual(response.text, "ab")
    }

    func testDeferredAndAsyncResponses() throws {
        var router = HTTPRouter()
        router.get("/async") { _ in
            .task {
                try await Task.sleep(nanoseconds: 10_000_000)
                return .text(.created, "made")
            }
        }
        router.get("/forgotten") { _ in .deferred { _ in } }
        let test = try TestServer(router: router)
        let client = test.pairedClient()
        client.send("GET /async HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 201)
        client.send("GET /forgotten HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 500, "a responder dropped unanswered answers 500")
    }
}

/// A set-once flag. `lock` guards `value`.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    /// True the first time only.
    func set() -> Bool { lock.lock(); defer { lock.unlock() }; if value { return false }; value = true; return true }
}
