import MicroHTTP
import XCTest

/// The timeout state machine driven by a fake clock (nanoseconds).
final class HTTPConnectionTimeoutsTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let limits = HTTPLimits(headerTimeout: 2, bodyTimeout: 3, idleTimeout: 5, writeTimeout: 7, lingerTimeout: 1)

    func testIdleConnectionCloses() {
        let timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        XCTAssertEqual(timeouts.check(now: 5 * second - 1), .none)
        XCTAssertEqual(timeouts.check(now: 5 * second), .closeIdle)
    }

    func testHeaderTimeoutIsTotalNotPerByte() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 1 * second)
        // A byte a second does not move the deadline.
        timeouts.received(now: 2 * second)
        timeouts.received(now: 2 * second + second / 2)
        XCTAssertEqual(timeouts.phase, .readingHead)
        XCTAssertEqual(timeouts.check(now: 3 * second - 1), .none)
        XCTAssertEqual(timeouts.check(now: 3 * second), .requestTimedOut)
    }

    func testBodyTimeoutCountsFromLastRead() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 0)
        timeouts.headReceived(now: 1 * second, bodyFollows: true)
        timeouts.received(now: 3 * second)
        XCTAssertEqual(timeouts.check(now: 5 * second), .none, "the body kept moving")
        XCTAssertEqual(timeouts.check(now: 6 * second), .requestTimedOut)
    }

    func testNoReadTimeoutWhileResponding() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 0)
        timeouts.headReceived(now: 0, bodyFollows: false)
        XCTAssertEqual(timeouts.phase, .responding)
        XCTAssertNil(timeouts.nextDeadline)
        XCTAssertEqual(timeouts.check(now: 1000 * second), .none)
        timeouts.responseCompleted(now: 1000 * second, nextRequestStarted: false)
        XCTAssertEqual(timeouts.phase, .idle)
        XCTAssertEqual(timeouts.nextDeadline, 1005 * second)
    }

    func testPipelinedRequestGetsHeaderTimeoutFromResponseEnd() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 0)
        timeouts.requestReceived()
        timeouts.responseCompleted(now: 10 * second, nextRequestStarted: true)
        XCTAssertEqual(timeouts.phase, .readingHead)
        XCTAssertEqual(timeouts.check(now: 12 * second), .requestTimedOut)
    }

    func testStalledWriterIsAborted() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.requestReceived()
        timeouts.writeBlocked(now: 1 * second)
        timeouts.writeProgressed(now: 4 * second, stillBlocked: true)
        XCTAssertEqual(timeouts.check(now: 10 * second), .none)
        XCTAssertEqual(timeouts.check(now: 11 * second), .abort)
        timeouts.writeProgressed(now: 11 * second, stillBlocked: false)
        XCTAssertNil(timeouts.writeDeadline)
    }

    func testLingeringEnds() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.startLingering(now: 2 * second)
        timeouts.received(now: 2 * second + 1)
        XCTAssertEqual(timeouts.check(now: 3 * second), .abort)
    }
}

/// The minimum body rate and event-stream keep-alives on the fake clock.
final class HTTPConnectionTimeoutsRateTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let limits = HTTPLimits(bodyTimeout: 30, minBodyBytesPerSecond: 1024, minBodyRateGracePeriod: 10)

    func testTrickledBodyIsCutOffAfterTheGracePeriod() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 0, count: 100)
        timeouts.headReceived(now: 0, bodyFollows: true)
        // One byte a second keeps the 30 s stall timeout moving, but not the average rate.
        for t in 1...9 {
            timeouts.received(now: UInt64(t) * second, count: 1)
            XCTAssertEqual(timeouts.check(now: UInt64(t) * second), .none)
        }
        XCTAssertEqual(timeouts.check(now: 10 * second - 1), .none)
        XCTAssertEqual(timeouts.check(now: 10 * second), .requestTimedOut)
    }

    func testBodyAtTheMinimumRateKeepsGoing() {
        var timeouts = HTTPConnectionTimeouts(limits: limits, now: 0)
        timeouts.received(now: 0)
        timeouts.headReceived(now: 0, bodyFollows: true, bufferedBodyBytes: 1024)
        // 2 KiB a second: after 20 s, 40 KiB + 1 KiB have arrived, enough until 41 s.
        for t in 1...20 { timeouts.received(now: UInt64(t) * second, count: 2048) }
        XCTAssertEqual(timeouts.check(now: 40 * second), .none)
        XCTAssertEqual(timeouts.readDeadline, 41 * second)
        XCTAssertEqual(timeouts.check(now: 41 * second), .requestTimedOut)
    }

    func testRateRuleCanBeTurnedOff() {
        var timeouts = HTTPConnectionTimeouts(
            limits: HTTPLimits(bodyTimeout: 30, minBodyBytesPerSecond: 0), now: 0)
        timeouts.received(now: 0)
        timeouts.headReceived(now: 0, bodyFollows: true)
        timeouts.received(now: 20 * second, count: 1)
        XCTAssertEqual(timeouts.readDeadline, 50 * second, "only the stall timeout remains")
    }

    func testEventStreamKeepAliveIsDueAfterSilence() {
        var timeouts = HTTPConnectionTimeouts(limits: HTTPLimits(eventStreamKeepAliveInterval: 15), now: 0)
        timeouts.received(now: 0)
        timeouts.requestReceived()
        timeouts.streamStarted(now: 1 * second, isEventStream: true)
        XCTAssertEqual(timeouts.nextDeadline, 16 * second)
        timeouts.streamWrote(now: 10 * second)
        XCTAssertEqual(timeouts.check(now: 24 * second), .none)
        XCTAssertEqual(timeouts.check(now: 25 * second), .sendKeepAlive)
        timeouts.streamEnded()
        XCTAssertNil(timeouts.nextDeadline)
        timeouts.streamStarted(now: 30 * second, isEventStream: false)
        XCTAssertNil(timeouts.nextDeadline, "other streams get no comments")
    }
}
