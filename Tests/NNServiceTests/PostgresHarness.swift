import Foundation
import MicroHTTP
import NNService
import PostgresStore
import XCTest

/// An in-process service on a loopback port over any store: one API replica with `workers`
/// training loops on its own threads (0: it only answers HTTP, as `NN_ROLE=api`), and its sweep
/// controller running.
final class StoreHarness {
    let store: any ServiceStorage
    let queue: JobQueue
    let app: ServiceApp
    let server: HTTPServer
    let client: TestClient

    init(store: any ServiceStorage, workers: Int, requeueRunning: Bool = false) throws {
        self.store = store
        queue = JobQueue(
            store: store, events: JobEvents(store: store), workers: workers, threadsPerJob: 1, log: { _ in })
        app = ServiceApp(store: store, queue: queue, options: ServiceApp.Options(), log: { _ in })
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: "127.0.0.1", port: 0, router: app.router(), accessLog: nil, errorLog: nil))
        try queue.start(requeueRunning: requeueRunning)
        app.start()
        try server.start()
        client = TestClient(port: server.port, token: nil)
    }

    func shutdown() {
        app.stop()
        queue.stop(timeout: 5)
        server.shutdown(gracePeriod: 1)
    }

    func waitForJob(_ id: String, timeout: Double = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let job = try client.request("GET", "/v1/jobs/\(id)").object
            if let status = job["status"] as? String, ["succeeded", "failed", "cancelled"].contains(status) {
                return job
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClientError("job \(id) did not end within \(timeout) s")
    }
}

/// PostgreSQL stores for tests: `NN_TEST_DATABASE_URL` (set by scripts/postgres-tests.sh), each
/// test in a fresh schema dropped afterwards. Without the variable the test is skipped.
enum PostgresTestDatabase {
    static func url(for test: XCTestCase) throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["NN_TEST_DATABASE_URL"], !text.isEmpty else {
            throw XCTSkip(
                "NN_TEST_DATABASE_URL is not set; scripts/postgres-tests.sh runs this test against a real server")
        }
        let base = try PostgresURL(parsing: text)
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try PostgresConnection(url: base).execute("CREATE SCHEMA \(schema)")
        test.addTeardownBlock { _ = try? PostgresConnection(url: base).execute("DROP SCHEMA \(schema) CASCADE") }
        var url = base
        url.parameters.append(.init(name: "options", value: "-c search_path=\(schema)"))
        return url
    }

    /// A store on a fresh schema, closed after the test.
    static func store(for test: XCTestCase, url: PostgresURL? = nil) throws -> PostgresServiceStore {
        let store = try PostgresServiceStore(url: try url ?? Self.url(for: test))
        test.addTeardownBlock { try? store.close() }
        return store
    }
}
