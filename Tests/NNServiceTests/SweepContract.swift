import Foundation
import NNCore
import NNService
import XCTest

/// What every store must do for sweeps, through the routes of API replicas that share one
/// database (each with its own store, connection and sweep controller) and the store calls a
/// worker makes: run by `SQLiteSweepContractTests` and, with NN_TEST_DATABASE_URL, by
/// `PostgresSweepContractTests`. The replicas have no training loops: the tests claim, record
/// and end the trials' jobs themselves, as workers would.
enum SweepContract {
    /// `count` replicas over the factory's stores, shut down by the returned cleanup.
    static func replicas(
        _ factory: StorageContract.Factory, _ count: Int
    ) throws -> (
        [StoreHarness], () -> Void
    ) {
        let (stores, cleanup) = try factory(count)
        let replicas = try stores.map { try StoreHarness(store: $0, workers: 0) }
        return (
            replicas,
            {
                for replica in replicas { replica.shutdown() }
                cleanup()
            }
        )
    }

    static func submit(_ client: TestClient, dataset: String, extra: [String: Any]) throws -> String {
        var body: [String: Any] = [
            "job": SweepSupport.job(dataset: dataset, epochs: 3), "search": "grid", "metric": "loss",
            "parameters": [
                "optimizer.learning_rate": ["values": [0.05, 0.1, 0.2]], "batch_size": ["values": [8, 16]],
            ],
        ]
        body.merge(extra) { $1 }
        let created = try client.json("POST", "/v1/sweeps", body)
        XCTAssertEqual(created.status, 202, created.text)
        return created.object["id"] as? String ?? ""
    }

    /// Waits until `condition` holds (checked every 20 ms) or fails after `timeout` seconds.
    static func wait(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw ClientError("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    static func queuedOrRunning(_ store: any ServiceStorage) throws -> Int {
        let counts = try store.jobCounts()
        return (counts[.queued] ?? 0) + (counts[.running] ?? 0)
    }

    /// Sweeps written through one replica read the same through another, page by page in
    /// creation order; a cancel ends a sweep once, whichever replica is asked again.
    static func pagesAndCancel(_ factory: StorageContract.Factory) throws {
        let (replicas, cleanup) = try replicas(factory, 2)
        defer { cleanup() }
        let (a, b) = (replicas[0].client, replicas[1].client)
        let dataset = try SweepSupport.upload(a)
        let ids = try (0..<3).map { _ in try submit(a, dataset: dataset, extra: ["parallel": 1]) }
        let first = try b.request("GET", "/v1/sweeps?limit=2").object
        XCTAssertEqual((first["items"] as? [[String: Any]])?.map { $0["id"] as? String }, [ids[0], ids[1]])
        let cursor = try XCTUnwrap(first["next"] as? String)
        let second = try b.request("GET", "/v1/sweeps?limit=2&after=\(cursor)").object
        XCTAssertEqual((second["items"] as? [[String: Any]])?.map { $0["id"] as? String }, [ids[2]])
        let onA = try a.request("GET", "/v1/sweeps/\(ids[0])").object
        let onB = try b.request("GET", "/v1/sweeps/\(ids[0])").object
        XCTAssertEqual(onA["trial_count"] as? Int, 6)
        XCTAssertEqual(try SweepSupport.paramsInOrder(onA), try SweepSupport.paramsInOrder(onB))
        XCTAssertEqual(
            try SweepSupport.paramsInOrder(onB).first, #"{"batch_size":8,"optimizer.learning_rate":0.05}"#)
        XCTAssertEqual(onA["created_at"] as? String, onB["created_at"] as? String)

        let cancelled = try a.request("POST", "/v1/sweeps/\(ids[0])/cancel")
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        XCTAssertEqual(cancelled.object["status"] as? String, "cancelled")
        let again = try b.request("POST", "/v1/sweeps/\(ids[0])/cancel")
        XCTAssertEqual(again.status, 409, again.text)
        let ended = try b.request("GET", "/v1/sweeps/\(ids[0])").object
        XCTAssertEqual(ended["status"] as? String, "cancelled")
        XCTAssertEqual(ended["finished_at"] as? String, cancelled.object["finished_at"] as? String)
        XCTAssertEqual(try a.request("DELETE", "/v1/datasets/\(dataset)").status, 409, "running sweeps use it")
    }

    /// Several replicas' controllers race to launch one sweep's trials: each trial gets exactly
    /// one job (counted in the database), and never more than `parallel` are queued or running.
    /// Each round ends every queued trial at once, so that every controller finds room for the
    /// next `parallel` trials at its next tick and they launch side by side.
    static func launchRace(
        _ factory: StorageContract.Factory, replicaCount: Int = 3, parallel: Int = 8, grid: (Int, Int) = (8, 4)
    ) throws {
        let (replicas, cleanup) = try replicas(factory, replicaCount)
        defer { cleanup() }
        let store = replicas[0].store
        let dataset = try SweepSupport.upload(replicas[0].client)
        let trialCount = grid.0 * grid.1
        let id = try submit(
            replicas[1].client, dataset: dataset,
            extra: [
                "parallel": parallel,
                "parameters": [
                    "optimizer.learning_rate": ["values": (1...grid.0).map { Double($0) / 100 }],
                    "batch_size": ["values": (1...grid.1).map { 4 * $0 }],
                ],
            ])
        var maxActive = 0
        var finished = 0
        while finished < trialCount {
            try wait("the next trials to be launched") {
                let active = try queuedOrRunning(store)
                maxActive = max(maxActive, active)
                return active >= min(parallel, trialCount - finished)
            }
            // Long enough for every controller to tick over the full sweep.
            Thread.sleep(forTimeInterval: 0.3)
            maxActive = max(maxActive, try queuedOrRunning(store))
            while let job = try replicas[finished % replicaCount].store.claimNextJob(owner: "W", leaseSeconds: 60) {
                _ = try store.transition(job.id, .succeed, owner: "W", error: nil, stoppedEarly: false)
                finished += 1
            }
        }
        XCTAssertLessThanOrEqual(maxActive, parallel)
        XCTAssertEqual(try store.jobCounts(), [.succeeded: trialCount], "one job per trial")
        for replica in replicas {
            let sweep = try SweepSupport.waitForSweep(replica.client, id, timeout: 30)
            XCTAssertEqual(sweep["status"] as? String, "succeeded")
            let jobs = SweepSupport.trials(sweep).compactMap { $0["job_id"] as? String }
            XCTAssertEqual(Set(jobs).count, trialCount, "each trial has a job of its own")
        }
    }

    /// ASHA at a rung recorded through `recordEpoch`: the first arrival continues; a worse
    /// second one is stopped in the same transaction (cancelled, `stopped_by` asha, checkpoints
    /// kept) and its worker can record nothing more.
    static func ashaStopsAtARung(_ factory: StorageContract.Factory) throws {
        let (replicas, cleanup) = try replicas(factory, 2)
        defer { cleanup() }
        let (a, b) = (replicas[0].store, replicas[1].store)
        let dataset = try SweepSupport.upload(replicas[0].client)
        let id = try submit(
            replicas[0].client, dataset: dataset,
            extra: ["parallel": 2, "early_termination": ["type": "asha", "min_epochs": 1, "reduction_factor": 2]])
        try wait("two trials queued") { try a.jobCounts()[.queued] == 2 }
        let first = try XCTUnwrap(try a.claimNextJob(owner: "A", leaseSeconds: 60))
        let second = try XCTUnwrap(try b.claimNextJob(owner: "B", leaseSeconds: 60))
        func record(
            _ store: any ServiceStorage, _ job: JobRecord, _ owner: String, epoch: Int, loss: Double
        ) throws -> Bool {
            try store.recordEpoch(
                job: job, owner: owner, metrics: StorageContract.metrics(epoch, loss: loss),
                checkpoint: StorageContract.checkpoint(Float(epoch)), loss: .crossEntropy, pinnedEpoch: nil,
                weightsEpoch: nil)
        }
        XCTAssertTrue(try record(a, first, "A", epoch: 1, loss: 0.2), "the first arrival continues")
        XCTAssertFalse(try record(b, second, "B", epoch: 1, loss: 0.9), "outside the top half: stopped")
        let stopped = try XCTUnwrap(try a.job(second.id))
        XCTAssertEqual(stopped.status, .cancelled)
        XCTAssertEqual(stopped.stoppedBy, "asha")
        XCTAssertEqual(try a.checkpoints(model: second.modelID).map(\.epoch), [1], "its checkpoint stays")
        XCTAssertEqual(try b.metrics(job: second.id).map(\.epoch), [1])
        XCTAssertFalse(try record(b, second, "B", epoch: 2, loss: 0.1), "a stopped trial records nothing more")
        XCTAssertEqual(try b.metrics(job: second.id).map(\.epoch), [1])
        XCTAssertTrue(try record(b, first, "A", epoch: 2, loss: 0.1), "the first arrival at rung 2 continues")
        XCTAssertEqual(try b.job(first.id)?.stoppedBy, nil)
        let sweep = try replicas[1].client.request("GET", "/v1/sweeps/\(id)").object
        let trial = SweepSupport.trials(sweep).first { $0["job_id"] as? String == second.id }
        XCTAssertEqual(trial?["stopped_by"] as? String, "asha", "\(sweep)")
        XCTAssertEqual(trial?["status"] as? String, "cancelled")
    }
}

/// The sweep contract on the embedded store: replicas on one SQLite file.
final class SQLiteSweepContractTests: XCTestCase {
    let factory: StorageContract.Factory = { count in
        let directory = StorageSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("nnserve.sqlite").path
        let stores = try (0..<count).map { _ in try SQLiteServiceStore(path: path) }
        return (
            stores,
            {
                for store in stores { try? store.close() }
                try? FileManager.default.removeItem(at: directory)
            }
        )
    }

    func testPagesAndCancel() throws { try SweepContract.pagesAndCancel(factory) }
    /// Small: SQLite lets one writer in at a time whatever the store does; PostgreSQL's runs big.
    func testLaunchRace() throws { try SweepContract.launchRace(factory, parallel: 3, grid: (3, 2)) }
    func testASHAStopsAtARung() throws { try SweepContract.ashaStopsAtARung(factory) }
}
