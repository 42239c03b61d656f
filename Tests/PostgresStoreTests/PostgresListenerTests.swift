import Foundation
import PostgresStore
import Synchronization
import XCTest

/// LISTEN/NOTIFY against a real server (skipped without NN_TEST_DATABASE_URL).
final class PostgresListenerTests: XCTestCase {
    func testNotificationsArriveAndSurviveATerminatedConnection() throws {
        let url = try testServerURL()
        let channel = "nn test " + UUID().uuidString.prefix(8)
        let received = Mutex<[String]>([])
        let reconnects = Atomic<Int>(0)
        let arrived = DispatchSemaphore(value: 0)
        let listener = try PostgresListener(
            url: url, channels: [channel], onReconnect: { reconnects.add(1, ordering: .relaxed) }
        ) { name, payload in
            XCTAssertEqual(name, channel)
            received.withLock { $0.append(payload) }
            arrived.signal()
        }
        defer { listener.stop() }
        let sender = try PostgresConnection(url: url)
        try sender.execute("SELECT pg_notify($1, $2)", [channel, "model_1"])
        XCTAssertEqual(arrived.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(received.withLock { $0 }, ["model_1"])

        // End the listener's server process: it reconnects, says so, and listens again.
        try sender.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"
        )
        let deadline = Date(timeIntervalSinceNow: 10)
        while reconnects.load(ordering: .relaxed) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(reconnects.load(ordering: .relaxed), 1)
        try sender.execute("SELECT pg_notify($1, $2)", [channel, "model_2"])
        XCTAssertEqual(arrived.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(received.withLock { $0 }, ["model_1", "model_2"])
    }
}
