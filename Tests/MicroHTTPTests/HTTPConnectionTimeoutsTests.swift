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
