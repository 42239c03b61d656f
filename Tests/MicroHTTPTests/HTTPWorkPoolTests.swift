import Foundation
import MicroHTTP
import XCTest

final class HTTPWorkPoolTests: XCTestCase {
    /// Concurrency seen by tasks; `lock` guards the counts.
    private final class Gauge: @unchecked Sendable {
        private let lock = NSLock()
        private var current = 0
        private(set) var peak = 0
        private(set) var order: [Int] = []
        func enter(_ index: Int) {
            lock.lock()
            current += 1
            peak = max(peak, current)
            order.append(index)
            lock.unlock()
        }
        func leave() { lock.lock(); current -= 1; lock.unlock() }
        var snapshot: (peak: Int, order: [Int]) { lock.lock(); defer { lock.unlock() }; return (peak, order) }
    }

    func testRunsAtMostItsLimitAtOnceInArrivalOrder() {
        let pool = HTTPWorkPool(name: "test.pool", threads: 2)
        let gauge = Gauge()
        let done = DispatchGroup()
        for index in 0..<8 {
            done.enter()
            pool.execute {
                gauge.enter(index)
                usleep(20_000)
                gauge.leave()
                done.leave()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        let (peak, order) = gauge.snapshot
        XCTAssertEqual(peak, 2)
        XCTAssertEqual(order.count, 8)
        // Two threads take tasks from one queue: each task starts no later than the one after
        // the next in arrival order.
        for (position, index) in order.enumerated() { XCTAssertLessThanOrEqual(abs(position - index), 1) }
        XCTAssertEqual(pool.queuedCount, 0)
    }

    func testThreadsAreNamedAfterThePool() {
        let pool = HTTPWorkPool(name: "test.pool", threads: 1)
        let named = expectation(description: "ran")
        pool.execute {
            XCTAssertEqual(Thread.current.name, "test.pool.1")
            named.fulfill()
        }
        wait(for: [named], timeout: 5)
    }
}
