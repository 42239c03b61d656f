import Foundation
import NNCore
import NNService
import PostgresStore
import XCTest

/// The PostgreSQL store against a real server (skipped without NN_TEST_DATABASE_URL). Several
/// `PostgresServiceStore` instances on one schema stand for several processes: each has its own
/// connections, and they share only the database.
final class PostgresServiceStoreTests: XCTestCase {
    nonisolated(unsafe) private static let model: [String: Any] = [
        "input_shape": [8],
        "layers": [["type": "dense", "units": 16, "activation": "relu"], ["type": "dense", "units": 10]],
    ]

    private static func job(_ dataset: String, epochs: Int = 4) -> [String: Any] {
        [
            "model": model, "dataset": dataset, "loss": "cross_entropy",
            "optimizer": ["type": "adam", "learning_rate": 0.01], "batch_size": 16, "epochs": epochs, "seed": 7,
        ]
    }

    private func uploadDataset(_ client: TestClient) throws -> String {
        try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 120, features: 8, seed: 3)).id
    }

    /// The same job trained on SQLite and on PostgreSQL gives the same weights file, byte for
    /// byte, and the same metrics: bytea carries checkpoints unchanged.
    func testTrainingOnPostgresMatchesSQLiteBitForBit() throws {
        let postgres = try StoreHarness(store: try PostgresTestDatabase.store(for: self), workers: 1)
        defer { postgres.shutdown() }
        let sqlite = try ServiceHarness()
        defer { sqlite.shutdown() }
        var weights: [[UInt8]] = []
        var metrics: [[[String: Any]]] = []
        for (client, wait) in [
            (postgres.client, postgres.waitForJob), (sqlite.client, { try sqlite.waitForJob($0, timeout: $1) }),
        ] {
            let submitted = try client.json("POST", "/v1/jobs", Self.job(try uploadDataset(client)))
            XCTAssertEqual(submitted.status, 202, submitted.text)
            let done = try wait(submitted.object["id"] as? String ?? "", 120)
            XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
            let model = done["model_id"] as? String ?? ""
            let file = try client.request("GET", "/v1/models/\(model)/weights")
            XCTAssertEqual(file.status, 200)
            weights.append(file.body)
            let history = try client.request("GET", "/v1/jobs/\(done["id"] as? String ?? "")/metrics")
            metrics.append(history.object["epochs"] as? [[String: Any]] ?? [])
        }
        XCTAssertGreaterThan(weights[0].count, 1000)
        XCTAssertEqual(weights[0], weights[1], "weights differ between PostgreSQL and SQLite")
        XCTAssertEqual(metrics[0].count, 4)
        XCTAssertEqual(
            metrics[0].map { $0["loss"] as? Double }, metrics[1].map { $0["loss"] as? Double })
    }

    /// Four claimers (four stores, as four worker processes) race over 200 queued jobs: each job
    /// is claimed exactly once, counted in the database.
    func testRacingClaimersClaimEachJobExactlyOnce() throws {
        let url = try PostgresTestDatabase.url(for: self)
        let api = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        defer { api.shutdown() }
        let dataset = try uploadDataset(api.client)
        for _ in 0..<200 {
            XCTAssertEqual(try api.client.json("POST", "/v1/jobs", Self.job(dataset, epochs: 1)).status, 202)
        }
        let claimers = try (0..<4).map { _ in try PostgresTestDatabase.store(for: self, url: url) }
        let claimed = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                while let job = try claimers[index].claimNextJob(owner: "w\(index)", leaseSeconds: 60) {
                    claimed.add(job.id, by: index)
                }
            } catch {
                claimed.fail("\(error)")
            }
        }
        XCTAssertEqual(claimed.failures, [])
        XCTAssertEqual(claimed.ids.count, 200)
        XCTAssertEqual(Set(claimed.ids).count, 200)
        let counts = try PostgresConnection(url: url).queryOne(
            """
            SELECT COUNT(*) FILTER (WHERE attempts = 1 AND status = 'running') AS once, MAX(attempts) AS most,
              COUNT(DISTINCT lease_owner) AS owners FROM jobs
            """)!
        XCTAssertEqual(try counts.get("once") as Int, 200)
        XCTAssertEqual(try counts.get("most") as Int, 1)
        XCTAssertGreaterThan(try counts.get("owners") as Int, 1, "one claimer took every job")
    }

    /// A worker whose lease lapsed can neither renew it nor record an epoch once the job was
    /// taken back and claimed by another; the other records it, once.
    func testLapsedLeaseMovesTheJobAndSilencesTheOldWorker() throws {
        let url = try PostgresTestDatabase.url(for: self)
        let api = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        defer { api.shutdown() }
        let submitted = try api.client.json("POST", "/v1/jobs", Self.job(try uploadDataset(api.client)))
        let id = submitted.object["id"] as? String ?? ""
        let first = try PostgresTestDatabase.store(for: self, url: url)
        let second = try PostgresTestDatabase.store(for: self, url: url)
        let job = try XCTUnwrap(try first.claimNextJob(owner: "a", leaseSeconds: 0.3))
        XCTAssertEqual(job.id, id)
        XCTAssertNil(try second.claimNextJob(owner: "b", leaseSeconds: 60))
        XCTAssertEqual(try second.requeueAbandonedJobs(.leaseLapsed).requeued, [], "the lease still holds")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try second.requeueAbandonedJobs(.all).requeued, [id])
        let resumed = try XCTUnwrap(try second.claimNextJob(owner: "b", leaseSeconds: 60))
        let epoch = try JSONDecoder().decode(
            EpochMetrics.self,
            from: Data(#"{"epoch":1,"loss":1.5,"learning_rate":0.01,"grad_norm":1,"grad_norms":{},"seconds":0.1}"#.utf8)
        )
        XCTAssertFalse(try first.renewLease(job: id, owner: "a", leaseSeconds: 60))
        XCTAssertFalse(
            try first.recordEpoch(
                job: job, owner: "a", metrics: epoch, checkpoint: nil, loss: .crossEntropy, pinnedEpoch: nil,
                weightsEpoch: nil))
        XCTAssertTrue(
            try second.recordEpoch(
                job: resumed, owner: "b", metrics: epoch, checkpoint: nil, loss: .crossEntropy, pinnedEpoch: nil,
                weightsEpoch: nil))
        XCTAssertEqual(try api.store.metrics(job: id).count, 1)
        XCTAssertEqual(try api.store.job(id)?.attempts, 2)
        XCTAssertEqual(try api.store.job(id)?.crashes, 1)
    }

    /// A model change committed through one store moves the generation every other store reads.
    func testModelsGenerationMovesAcrossStores() throws {
        let url = try PostgresTestDatabase.url(for: self)
        let writer = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        defer { writer.shutdown() }
        let reader = try PostgresTestDatabase.store(for: self, url: url)
        let before = try reader.modelsGeneration()
        let created = try writer.client.json("POST", "/v1/models", Self.model)
        XCTAssertEqual(created.status, 201, created.text)
        let afterCreate = try reader.modelsGeneration()
        XCTAssertGreaterThan(afterCreate, before)
        XCTAssertEqual(
            try writer.client.request("DELETE", "/v1/models/\(created.object["id"] as? String ?? "")").status, 204)
        XCTAssertGreaterThan(try reader.modelsGeneration(), afterCreate)
    }

    /// Connections the server ended (a restart, an idle timeout in a proxy) are replaced without
    /// the client seeing an error: reads are repeated once on a new connection, writes run again.
    func testTerminatedConnectionsAreReplacedUnseen() throws {
        var url = try PostgresTestDatabase.url(for: self)
        let name = "nnserve-test-" + UUID().uuidString.prefix(8)
        url.parameters.append(.init(name: "application_name", value: String(name)))
        let api = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        defer { api.shutdown() }
        let created = try api.client.json("POST", "/v1/models", Self.model)
        let id = created.object["id"] as? String ?? ""
        let admin = try PostgresConnection(
            url: try PostgresURL(parsing: ProcessInfo.processInfo.environment["NN_TEST_DATABASE_URL"]!))
        let ended = try admin.query(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1",
            [String(name)])
        XCTAssertGreaterThan(ended.count, 0)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(try api.client.request("GET", "/readyz").status, 200)
        XCTAssertEqual(try api.client.request("GET", "/v1/models/\(id)").status, 200)
        XCTAssertEqual(try api.client.request("DELETE", "/v1/models/\(id)").status, 204)
    }

    /// Two API replicas page a sorted list identically, whichever serves each page.
    func testListsPageTheSameOnEveryReplica() throws {
        let url = try PostgresTestDatabase.url(for: self)
        let one = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        let two = try StoreHarness(store: try PostgresTestDatabase.store(for: self, url: url), workers: 0)
        defer {
            one.shutdown()
            two.shutdown()
        }
        for name in ["delta", "Alpha", "charlie", "bravo", "echo", "Zulu", "alpha"] {
            var body = Self.model
            body["name"] = name
            XCTAssertEqual(try one.client.json("POST", "/v1/models", body).status, 201)
        }
        func pages(_ clients: [TestClient]) throws -> [String] {
            var names: [String] = []
            var next: String?
            var turn = 0
            repeat {
                let query = "/v1/models?limit=3&sort=-name" + (next.map { "&after=\($0)" } ?? "")
                let page = try clients[turn % clients.count].request("GET", query).object
                names += (page["items"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" }
                next = page["next"] as? String
                turn += 1
            } while next != nil && turn < 10
            return names
        }
        let alternating = try pages([one.client, two.client])
        XCTAssertEqual(alternating, try pages([two.client]))
        XCTAssertEqual(alternating, ["echo", "delta", "charlie", "bravo", "alpha", "Zulu", "Alpha"])
    }
}

/// Claimed ids and errors from racing threads. `@unchecked Sendable`: both arrays are guarded by `lock`.
private final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed: [(String, Int)] = []
    private var errors: [String] = []

    func add(_ id: String, by claimer: Int) {
        lock.lock()
        claimed.append((id, claimer))
        lock.unlock()
    }

    func fail(_ message: String) {
        lock.lock()
        errors.append(message)
        lock.unlock()
    }

    var ids: [String] {
        lock.lock()
        defer { lock.unlock() }
        return claimed.map(\.0)
    }

    var failures: [String] {
        lock.lock()
        defer { lock.unlock() }
        return errors
    }
}
