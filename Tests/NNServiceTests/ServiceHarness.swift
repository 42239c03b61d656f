import Foundation
import MicroHTTP
import NNCore
import NNService
import XCTest

/// An in-process service on a loopback port with its store in a temporary directory.
final class ServiceHarness {
    let directory: URL
    let store: SQLiteServiceStore
    let queue: JobQueue
    let app: ServiceApp
    let server: HTTPServer
    var client: TestClient

    init(
        token: String? = nil, maxQueuedJobs: Int = 1000, workers: Int = 1, startQueue: Bool = true,
        configure: (inout ServiceApp.Options) -> Void = { _ in }
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nnserve-test-\(UUID().uuidString)")
        store = try SQLiteServiceStore(path: directory.appendingPathComponent("nnserve.sqlite").path)
        queue = JobQueue(
            store: store, events: JobEvents(store: store), workers: workers, threadsPerJob: 1, log: { _ in })
        var options = ServiceApp.Options()
        options.apiToken = token
        options.maxQueuedJobs = maxQueuedJobs
        configure(&options)
        app = ServiceApp(store: store, queue: queue, options: options, log: { _ in })
        let metrics = app.metrics
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: "127.0.0.1", port: 0, router: app.router(),
                accessLog: nil, observers: [{ metrics.observe($0) }],
                errorLog: nil))
        if startQueue {
            try queue.start()
            app.start()
        }
        try server.start()
        client = TestClient(port: server.port, token: token)
    }

    func shutdown() {
        app.stop()
        queue.stop(timeout: 5)
        server.shutdown(gracePeriod: 1)
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Polls a job until it has ended (or the timeout passes) and returns its final object.
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

    /// Stored row counts, to prove a rejected request stored nothing.
    func counts() throws -> [Int] {
        try store.database.read { db in
            try ["datasets", "models", "jobs", "metrics", "checkpoints", "sweeps", "sweep_trials", "sweep_rungs"].map {
                table in
                try db.queryOne("SELECT COUNT(*) AS n FROM \(table)")!.get("n") as Int
            }
        }
    }
}

/// The digits data of the repository's `datasets/` as CSV text (train rows) and test rows with labels.
enum DigitsFixture {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("datasets")
    }

    static func load(
        _ name: String = "digits.csv"
    ) throws -> (trainCSV: String, testRows: [[Double]], testLabels: [Int]) {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var lines = text.components(separatedBy: .newlines).filter { !$0.isEmpty }
        let header = lines.removeFirst()
        var train = [header]
        var rows: [[Double]] = []
        var labels: [Int] = []
        for line in lines {
            let cells = line.split(separator: ",").map(String.init)
            if cells.last == "test" {
                rows.append(cells.dropLast(2).map { Double($0)! })
                labels.append(Int(cells[cells.count - 2])!)
            } else {
                train.append(line)
            }
        }
        return (train.joined(separator: "\n") + "\n", rows, labels)
    }
}
