import Dispatch
import Foundation
import SQLiteStore
import XCTest

final class DatabaseConcurrencyTests: XCTestCase {
    func testConcurrentWritesFromManyThreadsAllLand() throws {
        let database = try Database(path: try makeDatabasePath())
        try database.write { try $0.execute("CREATE TABLE t(thread INTEGER, i INTEGER, UNIQUE(thread, i))") }
        let threads = 8, perThread = 200
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for i in 0..<perThread {
                do {
                    try database.write { try $0.execute("INSERT INTO t VALUES (?, ?)", [thread, i]) }
                    if i % 50 == 0 { _ = try database.read { try $0.query("SELECT count(*) FROM t") } }
                } catch {
                    failures.append("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, [])
        let count = try database.read { try $0.queryOne("SELECT count(*) AS n FROM t")?.get("n") as Int? }
        XCTAssertEqual(count, threads * perThread)
        XCTAssertEqual(try database.integrityCheck(), ["ok"])
    }

    /// Two connections on one file: while the first holds the write lock, the second can
    /// still read (WAL) and its write waits for the busy timeout instead of failing.
    func testSecondConnectionReadsDuringAWriteAndItsWriteWaitsForTheLock() throws {
        let path = try makeDatabasePath()
        let writer = try Database(path: path)
        let other = try Database(path: path, options: .init(busyTimeoutMilliseconds: 10_000))
        try writer.write { try $0.execute("CREATE TABLE t(x)") }
        try writer.write { try $0.execute("INSERT INTO t VALUES (0)") }

        let locked = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let holdSeconds = 0.3
        let failures = Failures()
        Thread.detachNewThread {
            do {
                try writer.inTransaction { db in
                    try db.execute("INSERT INTO t VALUES (1)")
                    locked.signal()
                    Thread.sleep(forTimeInterval: holdSeconds)
                }
            } catch {
                failures.append("\(error)")
            }
            finished.signal()
        }
        locked.wait()

        // A WAL reader is not blocked by the writer and sees the last committed state.
        let seen = try other.read { try $0.query("SELECT x FROM t").map { try $0.get("x") as Int } }
        XCTAssertEqual(seen, [0])

        let start = Date()
        try other.write { try $0.execute("INSERT INTO t VALUES (2)") }
        let waited = Date().timeIntervalSince(start)
        finished.wait()
        XCTAssertEqual(failures.all, [])
        XCTAssertGreaterThan(waited, holdSeconds / 3, "the write should have waited for the lock")
        let all = try other.read { try $0.query("SELECT x FROM t ORDER BY x").map { try $0.get("x") as Int } }
        XCTAssertEqual(all, [0, 1, 2])
    }

    func testWriteFailsWithBusyWhenTheTimeoutRunsOut() throws {
        let path = try makeDatabasePath()
        let writer = try Database(path: path)
        let impatient = try Database(path: path, options: .init(busyTimeoutMilliseconds: 20))
        try writer.write { try $0.execute("CREATE TABLE t(x)") }
        try writer.inTransaction { db in
            try db.execute("INSERT INTO t VALUES (1)")
            let error = expectDatabaseError { try impatient.write { try $0.execute("INSERT INTO t VALUES (2)") } }
            XCTAssertEqual(error?.isBusy, true, "\(String(describing: error))")
            XCTAssertEqual(error?.primaryCode, 5)  // SQLITE_BUSY
        }
        try impatient.write { try $0.execute("INSERT INTO t VALUES (3)") }
        XCTAssertEqual(try impatient.read { try $0.query("SELECT x FROM t") }.count, 2)
    }
}

/// Error messages collected from several threads. `@unchecked Sendable`: `messages` is only
/// touched while holding `lock`.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
