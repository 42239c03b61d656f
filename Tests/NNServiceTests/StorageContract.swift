import Foundation
import NNCore
import NNService
import Synchronization
import XCTest

/// What every `ServiceStorage` must do, written against the protocol alone so that each
/// implementation runs the same checks: a test class per implementation calls each of these
/// with a factory of stores that share one database (as processes do), e.g.
/// `SQLiteStorageContractTests`.
enum StorageContract {
    /// Opens `count` stores on one fresh database, each with its own connection, and a cleanup.
    typealias Factory = (_ count: Int) throws -> (stores: [any ServiceStorage], cleanup: () -> Void)

    static let spec = try! JSONDecoder().decode(
        ModelSpec.self, from: Data(#"{"input_shape": [2], "layers": [{"type": "dense", "units": 2}]}"#.utf8))

    static func config(epochs: Int = 5) -> TrainingConfig {
        try! JSONDecoder().decode(
            TrainingConfig.self,
            from: Data(
                #"{"loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": \#(epochs)}"#
                    .utf8))
    }

    static func dataset(_ store: any ServiceStorage) throws -> DatasetRecord {
        try store.insertDataset(
            DatasetUpload(
                name: "tiny", inputShape: [2], inputs: [0, 1, 1, 0, 1, 1, 0, 0], targets: [1, 1, 0, 0],
                target: .classes(2)))
    }

    static func metrics(_ epoch: Int, loss: Double = 0.5) -> EpochMetrics {
        try! JSONDecoder().decode(
            EpochMetrics.self,
            from: Data(
                #"{"epoch": \#(epoch), "loss": \#(loss), "learning_rate": 0.1, "grad_norm": 1, "grad_norms": {}, "seconds": 0}"#
                    .utf8))
    }

    static func checkpoint(_ value: Float) -> [UInt8] {
        SafetensorsFile(tensors: [("layers.0.weight", Tensor(shape: [1], scalars: [value]))]).encoded()
    }

    /// Rows round-trip; errors are `StorageError` with the documented cases.
    static func rowsAndErrors(_ factory: Factory) throws {
        let (stores, cleanup) = try factory(1)
        defer { cleanup() }
        let store = stores[0]
        let data = try dataset(store)
        XCTAssertEqual(try store.dataset(data.id)?.rows, 4)
        XCTAssertEqual(try store.loadDataset(data.id)?.count, 4)
        XCTAssertEqual(try store.datasetTargetsAreBinary(data.id), true)
        XCTAssertEqual(try store.datasets(limit: 10, after: nil).map(\.id), [data.id])
        let model = try store.createModel(spec, labels: Labels(name: "m", tags: ["a"]))
        XCTAssertEqual(try store.model(model.id)?.labels, Labels(name: "m", tags: ["a"]))
        let job = try store.insertJob(
            newModel: nil, modelID: model.id, datasetID: data.id, config: config(), labels: Labels())
        XCTAssertEqual(job.status, .queued)
        XCTAssertEqual(try store.jobs(status: .queued, query: ListQuery()).items.map(\.id), [job.id])
        XCTAssertTrue(try store.updateLabels(.jobs, id: job.id, patch: LabelsPatch(name: "j")))
        XCTAssertEqual(try store.job(job.id)?.labels.name, "j")
        XCTAssertFalse(try store.updateLabels(.jobs, id: "job_nope", patch: LabelsPatch(name: "j")))
        XCTAssertEqual(try store.jobCounts()[.queued], 1)

        func expect(_ body: () throws -> Void, _ matches: (StorageError) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                XCTAssert((error as? StorageError).map(matches) ?? false, "\(error)", line: line)
            }
        }
        func isConflict(_ error: StorageError) -> Bool { if case .conflict = error { true } else { false } }
        func isNotFound(_ error: StorageError) -> Bool { if case .notFound = error { true } else { false } }
        expect({ try store.deleteDataset(data.id) }, isConflict)
        expect({ try store.deleteModel(model.id) }, isConflict)
        expect({ try store.replaceWeights(model.id, bytes: checkpoint(1), loss: nil) }, isConflict)
        expect(
            {
                _ = try store.insertJob(
                    newModel: nil, modelID: model.id, datasetID: data.id, config: config(), labels: Labels())
            }, isConflict)
        expect(
            {
                _ = try store.insertJob(
                    newModel: nil, modelID: "m_nope", datasetID: data.id, config: config(), labels: Labels())
            },
            {
                if case .invalidReference(_, let path, let code) = $0 {
                    path == "model_id" && code == "unknown_model"
                } else {
                    false
                }
            })
        expect({ try store.deleteDataset("ds_nope") }, isNotFound)
        expect({ try store.deleteModel("m_nope") }, isNotFound)
        expect({ try store.deleteCheckpoint(model: model.id, epoch: 9) }, isNotFound)
        XCTAssertNil(try store.job("job_nope"))
        XCTAssertNil(try store.model("m_nope"))

        XCTAssertEqual(try store.transition(job.id, .cancel)?.status, .cancelled)
        XCTAssertNil(try store.transition(job.id, .cancel), "an ended job takes no more events")
        try store.deleteModel(model.id)
        XCTAssertNil(try store.job(job.id), "a model's jobs go with it")
        try store.deleteDataset(data.id)
        XCTAssertNil(try store.dataset(data.id))
        try store.checkReady()
    }

    /// Claims take the oldest queued job, each once; the lease is the claimer's alone.
    static func claimsAndLeases(_ factory: Factory) throws {
        let (stores, cleanup) = try factory(2)
        defer { cleanup() }
        let (a, b) = (stores[0], stores[1])
        let data = try dataset(a)
        let first = try a.insertJob(
            newModel: spec, modelID: nil, datasetID: data.id, config: config(), labels: Labels())
        let second = try a.insertJob(
            newModel: spec, modelID: nil, datasetID: data.id, config: config(), labels: Labels())
        let claimed = try XCTUnwrap(try b.claimNextJob(owner: "B", leaseSeconds: 60))
        XCTAssertEqual(claimed.id, first.id)
        XCTAssertEqual(claimed.status, .running)
        XCTAssertEqual(claimed.attempts, 1)
        XCTAssertEqual(try a.claimNextJob(owner: "A", leaseSeconds: 60)?.id, second.id)
        XCTAssertNil(try a.claimNextJob(owner: "A", leaseSeconds: 60))

        // Only the holder records epochs and renews; a cancel ends both.
        XCTAssertFalse(
            try a.recordEpoch(
                job: claimed, owner: "A", metrics: metrics(1), checkpoint: checkpoint(1), loss: .crossEntropy,
                pinnedEpoch: nil, weightsEpoch: nil))
        XCTAssertEqual(try a.metrics(job: first.id), [])
        XCTAssertTrue(
            try a.recordEpoch(
                job: claimed, owner: "B", metrics: metrics(1), checkpoint: checkpoint(1), loss: .crossEntropy,
                pinnedEpoch: nil, weightsEpoch: nil))
        XCTAssertEqual(try a.metrics(job: first.id).map(\.epoch), [1])
        XCTAssertTrue(try b.renewLease(job: first.id, owner: "B", leaseSeconds: 60))
        XCTAssertFalse(try b.renewLease(job: first.id, owner: "A", leaseSeconds: 60))
        XCTAssertNil(
            try a.transition(first.id, .succeed, owner: "A", error: nil, stoppedEarly: false),
            "only the lease holder ends its run")
        XCTAssertEqual(try a.transition(first.id, .cancel)?.status, .cancelled)
        XCTAssertFalse(try b.renewLease(job: first.id, owner: "B", leaseSeconds: 60))
        XCTAssertFalse(
            try b.recordEpoch(
                job: claimed, owner: "B", metrics: metrics(2), checkpoint: nil, loss: .crossEntropy, pinnedEpoch: nil,
                weightsEpoch: nil))

        // A dead owner's job goes back to the queue at once; others' stay.
        XCTAssertEqual(try b.requeueAbandonedJobs(.ownedBy("B")).requeued, [])
        XCTAssertEqual(try b.requeueAbandonedJobs(.ownedBy("A")).requeued, [second.id])
        XCTAssertEqual(try b.job(second.id)?.status, .queued)
        XCTAssertEqual(try b.job(second.id)?.crashes, 1)
    }

    /// A lapsed lease puts the job back; the old holder can write nothing more; the third
    /// death fails the job with `crashed`. Resuming drops metrics after the last checkpoint.
    static func leaseLapseAndResume(_ factory: Factory) throws {
        let (stores, cleanup) = try factory(2)
        defer { cleanup() }
        let (a, b) = (stores[0], stores[1])
        let data = try dataset(a)
        let job = try a.insertJob(newModel: spec, modelID: nil, datasetID: data.id, config: config(), labels: Labels())
        let held = try XCTUnwrap(try a.claimNextJob(owner: "A", leaseSeconds: 0.3))
        for epoch in 1...3 {
            XCTAssertTrue(
                try a.recordEpoch(
                    job: held, owner: "A", metrics: metrics(epoch), checkpoint: epoch == 2 ? checkpoint(2) : nil,
                    loss: .crossEntropy, pinnedEpoch: nil, weightsEpoch: nil))
        }
        XCTAssertEqual(try b.requeueAbandonedJobs(.leaseLapsed).requeued, [], "the lease still holds")
        Thread.sleep(forTimeInterval: 0.4)
        XCTAssertFalse(
            try a.recordEpoch(
                job: held, owner: "A", metrics: metrics(4), checkpoint: nil, loss: .crossEntropy, pinnedEpoch: nil,
                weightsEpoch: nil), "a lapsed lease records nothing")
        XCTAssertEqual(try b.requeueAbandonedJobs(.leaseLapsed).requeued, [job.id])
        XCTAssertFalse(try a.renewLease(job: job.id, owner: "A", leaseSeconds: 60))
        let resumed = try XCTUnwrap(try b.claimNextJob(owner: "B", leaseSeconds: 0.2))
        XCTAssertEqual(resumed.attempts, 2)
        XCTAssertEqual(resumed.crashes, 1)
        let point = try XCTUnwrap(try b.resumePoint(for: resumed))
        XCTAssertEqual(point.epoch, 2)
        XCTAssertEqual(point.state, checkpoint(2))
        XCTAssertEqual(try b.metrics(job: job.id).map(\.epoch), [1, 2], "epochs after the checkpoint go")
        XCTAssertEqual(try b.metrics(job: job.id, after: 1).map(\.epoch), [2])
        XCTAssertEqual(try b.job(job.id)?.epoch, 2)

        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try a.requeueAbandonedJobs(.leaseLapsed).requeued, [job.id])
        _ = try XCTUnwrap(try a.claimNextJob(owner: "A", leaseSeconds: 0.01))
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(try b.requeueAbandonedJobs(.leaseLapsed).crashed, [job.id])
        let failed = try XCTUnwrap(try b.job(job.id))
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.error?.code, "crashed")
        XCTAssertEqual(failed.crashes, JobRecord.maxCrashes)
        XCTAssertNil(try b.claimNextJob(owner: "B", leaseSeconds: 60))
    }

    /// `claimers` stores race to claim `jobs` jobs: each is claimed exactly once.
    static func claimRace(_ factory: Factory, claimers: Int = 4, jobs: Int = 40) throws {
        let (stores, cleanup) = try factory(claimers)
        defer { cleanup() }
        let data = try dataset(stores[0])
        for _ in 0..<jobs {
            _ = try stores[0].insertJob(
                newModel: spec, modelID: nil, datasetID: data.id, config: config(), labels: Labels())
        }
        let claims = Mutex<[String: [String]]>([:])
        let group = DispatchGroup()
        for (index, store) in stores.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while let job = try? store.claimNextJob(owner: "W\(index)", leaseSeconds: 60) {
                    claims.withLock { $0[job.id, default: []].append("W\(index)") }
                }
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        let all = claims.withLock { $0 }
        XCTAssertEqual(all.count, jobs, "every job claimed")
        XCTAssert(all.values.allSatisfy { $0.count == 1 }, "a job claimed twice: \(all.filter { $0.value.count > 1 })")
        XCTAssertEqual(try stores[0].jobCounts()[.running], jobs)
    }

    /// A change of a model's weights by one store is seen by another's generation.
    static func modelsGenerationCrossesStores(_ factory: Factory) throws {
        let (stores, cleanup) = try factory(2)
        defer { cleanup() }
        let model = try stores[0].createModel(spec, labels: Labels())
        let before = try stores[1].modelsGeneration()
        try stores[0].replaceWeights(model.id, bytes: checkpoint(3), loss: nil)
        XCTAssertNotEqual(try stores[1].modelsGeneration(), before)
        XCTAssertEqual(try stores[1].modelWeights(model.id)?.bytes, checkpoint(3))
    }
}

/// The contract on the embedded store: stores on one SQLite file, as the API and its worker
/// processes open it.
final class SQLiteStorageContractTests: XCTestCase {
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

    func testRowsAndErrors() throws { try StorageContract.rowsAndErrors(factory) }
    func testClaimsAndLeases() throws { try StorageContract.claimsAndLeases(factory) }
    func testLeaseLapseAndResume() throws { try StorageContract.leaseLapseAndResume(factory) }
    func testClaimRace() throws { try StorageContract.claimRace(factory) }
    func testModelsGenerationCrossesStores() throws { try StorageContract.modelsGenerationCrossesStores(factory) }
}

/// A worker that loses its database mid-job (its connection closed, as in a partition) stops
/// renewing its lease; once the lease lapses another worker resumes the job from its last
/// checkpoint, and the result has the same bits as a run that was never interrupted.
final class LeaseLapseResumeTests: XCTestCase {
    func testLapsedLeaseIsResumedByAnotherWorkerToTheSameBits() throws {
        let service = try ServiceHarness(startQueue: false)
        defer { service.shutdown() }
        let client = service.client
        let dataset = try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 300, features: 8, seed: 3))
        let body: [String: Any] = [
            "model": [
                "input_shape": [8],
                "layers": [["type": "dense", "units": 32, "activation": "relu"], ["type": "dense", "units": 10]],
            ],
            "dataset": dataset.id, "loss": "cross_entropy", "optimizer": ["type": "adam", "learning_rate": 0.002],
            "batch_size": 4, "epochs": 40, "seed": 21,
        ]
        let first = try client.json("POST", "/v1/jobs", body).object
        let jobID = first["id"] as? String ?? ""

        let lostStore = try SQLiteServiceStore(path: service.directory.appendingPathComponent("nnserve.sqlite").path)
        var options = TrainingWorker.Options()
        options.leaseSeconds = 0.5
        let lost = TrainingWorker(store: lostStore, owner: "lost", threadsPerJob: 1, options: options, log: { _ in })
        Thread.detachNewThread { lost.run() }
        defer { lost.stop() }
        _ = try StorageSupport.waitFor(client, job: jobID, timeout: 30) { ($0["epoch"] as? Int ?? 0) >= 3 }
        try lostStore.close()
        let stranded = try client.request("GET", "/v1/jobs/\(jobID)").object
        XCTAssertEqual(stranded["status"] as? String, "running", "\(stranded)")

        try service.queue.start(requeueRunning: false)
        let resumed = try StorageSupport.waitFor(client, job: jobID, timeout: 60, until: StorageSupport.ended)
        XCTAssertEqual(resumed["status"] as? String, "succeeded", "\(resumed)")
        XCTAssertEqual(resumed["attempts"] as? Int, 2)
        XCTAssertEqual(try service.store.job(jobID)?.crashes, 1, "a lapsed lease counts as a death")
        let epochs = try service.store.metrics(job: jobID).map(\.epoch)
        XCTAssertEqual(epochs, Array(1...40))

        let straight = try client.json("POST", "/v1/jobs", body).object
        let done = try StorageSupport.waitFor(
            client, job: straight["id"] as? String ?? "", timeout: 60, until: StorageSupport.ended)
        XCTAssertEqual(done["status"] as? String, "succeeded")
        let expected = try client.request("GET", "/v1/models/\(straight["model_id"] as? String ?? "")/weights").body
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(
            try client.request("GET", "/v1/models/\(first["model_id"] as? String ?? "")/weights").body, expected)
    }
}
