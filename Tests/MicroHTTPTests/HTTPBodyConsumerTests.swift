import Foundation
import MicroHTTP
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A consumer that keeps what it is given. `lock` guards every var.
final class RecordingConsumer: HTTPBodyConsumer, @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var calls = 0
    private var finished = false
    private var delay: useconds_t
    private let takeAtMost: Int

    init(delay: useconds_t = 0, takeAtMost: Int = .max) {
        self.delay = delay
        self.takeAtMost = takeAtMost
    }

    func consume(_ part: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        let wait = delay
        lock.unlock()
        if wait > 0 { usleep(wait) }
        lock.lock()
        defer { lock.unlock() }
        calls += 1
        bytes.append(contentsOf: part)
        return bytes.count < takeAtMost
    }

    func finish() { lock.withLock { finished = true } }
    func speedUp() { lock.withLock { delay = 0 } }
    var received: [UInt8] { lock.withLock { bytes } }
    var callCount: Int { lock.withLock { calls } }
    var isFinished: Bool { lock.withLock { finished } }
}

/// The consumers the factory made, in order. `lock` guards `items`.
final class ConsumerLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RecordingConsumer] = []
    func add(_ consumer: RecordingConsumer) { lock.withLock { items.append(consumer) } }
    var all: [RecordingConsumer] { lock.withLock { items } }
}

/// Routes that stream their body into a consumer: bytes arrive whole and in order however they
/// are split, chunked and gzip bodies are decoded on the way, limits hold, an abandoned body is
/// never finished, and a slow consumer pauses reading without holding up the loop.
final class HTTPBodyConsumerTests: XCTestCase {
    private func router(_ log: ConsumerLog, delay: useconds_t = 0, takeAtMost: Int = .max) -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/ping") { _ in .text(.ok, "pong") }
        router.add(
            .post, "/upload",
            body: { _ in
                let consumer = RecordingConsumer(delay: delay, takeAtMost: takeAtMost)
                log.add(consumer)
                return consumer
            },
            { request in
                guard let consumer = request.bodyConsumer as? RecordingConsumer else { return .text(.ok, "none") }
                let received = consumer.received
                let sum = received.reduce(0) { ($0 &* 31) &+ Int($1) }
                return .text(
                    .ok, "\(received.count) \(sum) \(consumer.isFinished) body=\(request.body.count)")
            })
        return router
    }

    private static func summary(_ bytes: [UInt8], finished: Bool = true) -> String {
        "\(bytes.count) \(bytes.reduce(0) { ($0 &* 31) &+ Int($1) }) \(finished) body=0"
    }

    private static func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
    }

    private static func chunked(_ body: [UInt8], sizes: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        var index = 0
        while offset < body.count {
            let size = min(max(1, sizes[index % sizes.count]), body.count - offset)
            out += Array(String(size, radix: 16).utf8) + [13, 10] + body[offset..<(offset + size)] + [13, 10]
            offset += size
            index += 1
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    func testContentLengthBodySentByteByByteArrivesWholeAndInOrder() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log))
        let client = test.pairedClient()
        let body = Self.pattern(600)
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
        for byte in body {
            client.send([byte])
            usleep(100)
        }
        let response = client.readResponse()
        XCTAssertEqual(response?.status, 200)
        XCTAssertEqual(response?.text, Self.summary(body))
        XCTAssertGreaterThan(log.all.first?.callCount ?? 0, 1, "the body reached the consumer in parts")
    }

    func testChunksOfOneByteAndGzipInPiecesAreDecodedOnTheWay() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log))
        let client = test.pairedClient()
        let plain = Self.pattern(2000)
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        client.send(Self.chunked(plain, sizes: [1]))
        XCTAssertEqual(client.readResponse()?.text, Self.summary(plain))

        // 1 MiB inflated from a gzip body in chunks of uneven sizes, two gzip members.
        let large = Self.pattern(1 << 20)
        let compressed = Gzip.compress(Array(large[..<300_000])) + Gzip.compress(Array(large[300_000...]))
        client.send(
            "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n")
        client.send(Self.chunked(compressed, sizes: [1, 7, 4093, 65536, 3]))
        XCTAssertEqual(client.readResponse()?.text, Self.summary(large))
        XCTAssertGreaterThan(log.all.last?.callCount ?? 0, 1)
    }

    func testInflatedSizeOverTheLimitIs413AndTheHandlerDoesNotRun() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log), limits: HTTPLimits(maxInflatedBodyBytes: 100_000))
        let client = test.pairedClient()
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 1 << 20))
        client.send(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
        client.send(bomb)
        XCTAssertEqual(client.readResponse()?.status, 413)
        XCTAssertEqual(log.all.count, 1)
        XCTAssertFalse(log.all[0].isFinished)
        XCTAssertLessThanOrEqual(log.all[0].received.count, 100_000)

        // Cut-off gzip data is a 400, and the connection goes on.
        let cut = Array(Gzip.compress(Self.pattern(5000)).dropLast(4))
        client.send(
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(cut.count)\r\n\r\n")
        client.send(cut)
        XCTAssertEqual(client.readResponse()?.status, 400)
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "pong")
    }

    func testDeclaredLengthOverTheLimitIsRefusedBeforeAnyConsumerIsMade() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log), limits: HTTPLimits(maxBodyBytes: 1000))
        let client = test.pairedClient()
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.status, 413)
        XCTAssertEqual(log.all.count, 0)
    }

    func testAConsumerThatStopsTakingStillGetsFinishAndTheRestIsDiscarded() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log, takeAtMost: 10))
        let client = test.pairedClient()
        let body = Self.pattern(100_000)
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
        client.send(body)
        let text = client.readResponse()?.text ?? ""
        XCTAssertTrue(text.hasSuffix("true body=0"), text)
        XCTAssertLessThan(log.all[0].received.count, 100_000)
        client.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(client.readResponse()?.text, "pong", "the connection stays usable")
    }

    func testAClientThatLeavesMidBodyNeverFinishesTheConsumer() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log))
        let client = test.pairedClient()
        client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n")
        client.send(Self.pattern(4000))
        XCTAssertTrue(waitUntil(2) { (log.all.first?.received.count ?? 0) == 4000 })
        client.close()
        XCTAssertTrue(waitUntil(2) { test.server.connectionCount == 0 })
        usleep(50_000)
        XCTAssertFalse(log.all[0].isFinished)
    }

    func testASlowConsumerPausesReadingWhileTheLoopAnswersOthers() throws {
        let log = ConsumerLog()
        let test = try TestServer(router: router(log, delay: 20_000), listen: true)
        let uploader = try XCTUnwrap(TestClient(port: test.server.port))
        let total = 32 << 20
        let sent = ByteCounter()
        let body = Self.pattern(total)
        // Used by the sender thread alone until the response is read, after the body is sent.
        nonisolated(unsafe) let sending = uploader
        let sender = Thread {
            sending.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n")
            var offset = 0
            while offset < total {
                let end = min(total, offset + 65536)
                sending.send(Array(body[offset..<end]))
                offset = end
                sent.set(offset)
            }
        }
        sender.start()
        usleep(300_000)
        // Connections take the loops in turn (one per core): these put the pinger on the
        // uploader's loop.
        var others: [TestClient] = []
        for _ in 0..<(ProcessInfo.processInfo.activeProcessorCount - 1) {
            others.append(try XCTUnwrap(TestClient(port: test.server.port)))
        }
        let pinger = try XCTUnwrap(TestClient(port: test.server.port))
        let started = Date()
        pinger.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(pinger.readResponse(timeout: 2)?.text, "pong")
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "the loop is not held by the consumer")
        usleep(700_000)
        // The consumer takes about 16 KiB per 20 ms; without the pause the server would have read
        // everything the client sent by now.
        let consumed = log.all.first?.received.count ?? 0
        XCTAssertLessThan(sent.value - consumed, (4 << 20) + (12 << 20), "reading paused")
        XCTAssertLessThan(sent.value, total)
        log.all.first?.speedUp()
        let response = uploader.readResponse(timeout: 30)
        XCTAssertEqual(response?.text, Self.summary(body))
        sender.cancel()
        others.removeAll()
    }

    func testWithoutAServerTheRouterHandsTheConsumerTheWholeBody() throws {
        let log = ConsumerLog()
        let body = Self.pattern(5000)
        let response = try router(log).respond(to: HTTPRequest(method: .post, target: "/upload", body: body))
        XCTAssertEqual(response.bodyBytes.map { String(decoding: $0, as: UTF8.self) }, Self.summary(body))
        XCTAssertEqual(log.all.first?.callCount, 1)
    }

    func testPausedBodyIsNotTimedAndThePauseDoesNotCountAgainstTheRate() {
        let limits = HTTPLimits(bodyTimeout: 5, minBodyBytesPerSecond: 1000, minBodyRateGracePeriod: 10)
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        let second: UInt64 = 1_000_000_000
        timeouts.received(now: 0, count: 100)
        timeouts.headReceived(now: 0, bodyFollows: true, bufferedBodyBytes: 0)
        timeouts.bodyPaused(now: 1 * second)
        XCTAssertNil(timeouts.nextDeadline)
        XCTAssertEqual(timeouts.check(now: 100 * second), .none)
        timeouts.bodyResumed(now: 100 * second)
        // The stall counts from the resumption; the grace period is moved by the 99 s pause.
        XCTAssertEqual(timeouts.check(now: 104 * second), .none)
        XCTAssertEqual(timeouts.check(now: 105 * second), .requestTimedOut)
    }

    private func waitUntil(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !condition() {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        return true
    }
}

/// `lock` guards `count`.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func set(_ value: Int) { lock.withLock { count = value } }
    var value: Int { lock.withLock { count } }
}
