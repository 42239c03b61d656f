import Foundation
import Synchronization
import XCTest

/// Training in worker processes, against real `nnserve` processes: a SIGKILLed worker under the
/// default `all` role leaves the API answering and its job resumes to the same bits; an `api`
/// server trains nothing while a separate `nnserve worker` does, cancel reaches it across the
/// process boundary, and event streams see the epochs it records.
final class WorkerProcessTests: XCTestCase {
    private func job(_ dataset: String, epochs: Int) -> [String: Any] {
        [
            "model": [
                "input_shape": [16],
                "layers": [["type": "dense", "units": 48, "activation": "tanh"], ["type": "dense", "units": 10]],
            ],
            "dataset": dataset, "loss": "cross_entropy", "optimizer": ["type": "adam", "learning_rate": 0.001],
            "batch_size": 8, "epochs": epochs, "seed": 11,
        ]
    }

    private func submit(_ client: TestClient, _ body: [String: Any]) throws -> (job: String, model: String) {
        let response = try client.json("POST", "/v1/jobs", body)
        XCTAssertEqual(response.status, 202, response.text)
        return (response.object["id"] as? String ?? "", response.object["model_id"] as? String ?? "")
    }

    /// The pids of the worker processes a log announced, in order.
    private func workerPIDs(_ log: String) -> [Int32] {
        log.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: #"nnserve worker \d+ training"#, options: .regularExpression) else {
                return nil
            }
            return Int32(line[range].split(separator: " ")[2])
        }
    }

    /// A job's event stream, read to its end on a thread of its own.
    private final class EventCollector: Sendable {
        let text = Mutex("")
        let done = DispatchGroup()

        init(_ client: TestClient, job: String) {
            done.enter()
            Thread.detachNewThread { [self] in
                let response = try? client.request("GET", "/v1/jobs/\(job)/events", timeout: 60)
                text.withLock { $0 = response?.text ?? "" }
                done.leave()
            }
        }

        func wait() -> String? {
            done.wait(timeout: .now() + 30) == .success ? text.withLock { $0 } : nil
        }
    }

    func testKilledWorkerProcessLeavesTheAPIAnsweringAndItsJobResumesToTheSameBits() throws {
        let directory = StorageSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ServerProcess(dataDirectory: directory, environment: ["NN_THREADS": "1"])
        defer { _ = server.terminate() }
        let client = server.client
        let dataset = try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 400, features: 16, seed: 5))
        let epochs = 60
        let killed = try submit(client, job(dataset.id, epochs: epochs))
        let stream = EventCollector(client, job: killed.job)
        _ = try StorageSupport.waitFor(client, job: killed.job) { ($0["epoch"] as? Int ?? 0) >= 4 }
        let row = [(0..<16).map { Double($0) / 16 }]
        let predict = { try client.json("POST", "/v1/models/\(killed.model)/predict", ["inputs": row]) }
        let early = try predict()
        XCTAssertEqual(early.status, 200, early.text)
        let worker = try XCTUnwrap(workerPIDs(server.log).last, server.log)
        XCTAssertEqual(kill(worker, SIGKILL), 0)
        // The API answers throughout, from the process the worker's death did not touch.
        XCTAssertEqual(try client.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try client.request("GET", "/v1/jobs/\(killed.job)").status, 200)

        let ended = try StorageSupport.waitFor(client, job: killed.job, timeout: 60, until: StorageSupport.ended)
        XCTAssertEqual(ended["status"] as? String, "succeeded", "\(ended)")
        XCTAssertEqual(ended["attempts"] as? Int, 2, "resumed once, by the restarted worker")
        XCTAssert(server.log.contains("worker process \(worker) ended (signal 9)"), server.log)
        XCTAssertGreaterThan(workerPIDs(server.log).count, 1, "the supervisor started another worker")
        let history = try client.request("GET", "/v1/jobs/\(killed.job)/metrics").object["epochs"] as? [[String: Any]]
        XCTAssertEqual(history?.compactMap { $0["epoch"] as? Int }, Array(1...epochs), "each epoch recorded once")
        // The API's cached network follows weights written by another process.
        let late = try predict()
        XCTAssertEqual(late.status, 200, late.text)
        XCTAssertNotEqual(late.text, early.text, "predict answered the weights of epoch 4 after epoch \(epochs)")

        // The event stream, served by the API, saw epochs the worker processes recorded.
        let events = try XCTUnwrap(stream.wait(), "the event stream did not end")
        XCTAssert(events.contains("event: epoch"), events)
        XCTAssert(events.contains("\"epoch\":\(epochs)"), events)
        XCTAssert(events.contains("\"status\":\"succeeded\""), events)

        // The same job run straight through gives the same bits.
        let straight = try submit(client, job(dataset.id, epochs: epochs))
        let done = try StorageSupport.waitFor(client, job: straight.job, timeout: 60, until: StorageSupport.ended)
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        let expected = try client.request("GET", "/v1/models/\(straight.model)/weights").body
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(try client.request("GET", "/v1/models/\(killed.model)/weights").body, expected)
        XCTAssertEqual(server.terminate().status, 0, server.log)
    }

    func testAPIRoleTrainsNothingAndAWorkerProcessTrainsCancelsAndStreams() throws {
        let directory = StorageSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let api = try ServerProcess(dataDirectory: directory, environment: ["NN_ROLE": "api"])
        defer { _ = api.terminate() }
        let client = api.client
        let dataset = try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 400, features: 16, seed: 6))
        let long = try submit(client, job(dataset.id, epochs: 100_000))
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try client.request("GET", "/v1/jobs/\(long.job)").object["status"] as? String, "queued")

        // A worker of its own, sharing the data directory.
        let logURL = directory.appendingPathExtension("worker.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: logURL) }
        let worker = Process()
        worker.executableURL = ServerProcess.binary
        worker.arguments = ["worker", "--port", "0", "--data-dir", directory.path, "--threads", "1"]
        worker.standardError = try FileHandle(forWritingTo: logURL)
        worker.standardOutput = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { worker.terminate() } }
        let stream = EventCollector(client, job: long.job)
        _ = try StorageSupport.waitFor(client, job: long.job, timeout: 30) { ($0["epoch"] as? Int ?? 0) >= 2 }

        // The worker's own port answers health and metrics, and nothing else.
        let log = try String(contentsOf: logURL, encoding: .utf8)
        let range = try XCTUnwrap(log.range(of: #"metrics on [^ ]+:(\d+)"#, options: .regularExpression), log)
        let workerClient = TestClient(port: Int(log[range].split(separator: ":").last ?? "") ?? 0)
        XCTAssertEqual(try workerClient.request("GET", "/healthz").status, 200)
        XCTAssertEqual(try workerClient.request("GET", "/readyz").status, 200)
        XCTAssertGreaterThan(try StorageSupport.metric(workerClient, "nnserve_training_samples_total") ?? 0, 0)
        XCTAssertEqual(try workerClient.request("GET", "/v1/jobs").status, 404)

        // Cancel through the API reaches the worker process at its next lease check.
        let cancelled = try client.request("POST", "/v1/jobs/\(long.job)/cancel")
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        let events = try XCTUnwrap(stream.wait(), "the event stream did not end")
        XCTAssert(events.contains("event: epoch"), events)
        XCTAssert(events.contains("\"status\":\"cancelled\""), events)
        let short = try submit(client, job(dataset.id, epochs: 3))
        let done = try StorageSupport.waitFor(client, job: short.job, timeout: 30, until: StorageSupport.ended)
        XCTAssertEqual(done["status"] as? String, "succeeded", "the worker let go of the cancelled job: \(done)")
        let after = try client.request("GET", "/v1/jobs/\(long.job)").object
        XCTAssertEqual(after["status"] as? String, "cancelled")
        let epoch = after["epoch"] as? Int ?? -1
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(try client.request("GET", "/v1/jobs/\(long.job)").object["epoch"] as? Int, epoch)

        // With the API stopped, the worker alone still keeps a restore from replacing the file
        // it has open; once it is gone, the restore goes ahead.
        XCTAssertEqual(api.terminate().status, 0, api.log)
        let database = directory.appendingPathComponent("nnserve.sqlite").path
        let copy = directory.appendingPathExtension("copy.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        XCTAssertEqual(try StorageSupport.run(["backup", copy, "--data-dir", directory.path]).status, 0)
        let refused = try StorageSupport.run(["restore", copy, "--data-dir", directory.path])
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssert(refused.error.contains("worker process still uses"), refused.error)
        XCTAssert(FileManager.default.fileExists(atPath: database))
        XCTAssertFalse(FileManager.default.fileExists(atPath: database + ".pre-restore"), "nothing was replaced")
        worker.terminate()
        worker.waitUntilExit()
        XCTAssertEqual(worker.terminationStatus, 0)
        let restored = try StorageSupport.run(["restore", copy, "--data-dir", directory.path])
        XCTAssertEqual(restored.status, 0, restored.error)
    }

    /// The crash rules hold for worker processes: each death of the worker running a job is
    /// counted, and the third fails the job with `crashed` while the API and the next
    /// worker carry on.
    func testThirdWorkerDeathFailsTheJobAsCrashed() throws {
        let directory = StorageSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ServerProcess(dataDirectory: directory, environment: ["NN_THREADS": "1"])
        defer { _ = server.terminate() }
        let client = server.client
        let dataset = try StorageSupport.upload(client, StorageSupport.randomCSV(rows: 64, features: 16, seed: 7))
        let doomed = try submit(client, job(dataset.id, epochs: 100_000))
        var killed: Set<Int32> = []
        for death in 1...3 {
            _ = try StorageSupport.waitFor(client, job: doomed.job, timeout: 30) {
                $0["status"] as? String == "running" && $0["attempts"] as? Int == death
            }
            let worker = try XCTUnwrap(workerPIDs(server.log).last { !killed.contains($0) }, server.log)
            XCTAssertEqual(kill(worker, SIGKILL), 0)
            killed.insert(worker)
        }
        let ended = try StorageSupport.waitFor(client, job: doomed.job, timeout: 30, until: StorageSupport.ended)
        XCTAssertEqual(ended["status"] as? String, "failed", "\(ended)")
        XCTAssertEqual((ended["error"] as? [String: Any])?["code"] as? String, "crashed", "\(ended)")
        XCTAssertEqual(ended["attempts"] as? Int, 3)
        // The supervisor logs the failure just after the store records it.
        let logDeadline = Date().addingTimeInterval(5)
        while !server.log.contains("error code crashed") && Date() < logDeadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssert(server.log.contains("error code crashed"), server.log)
        let next = try submit(client, job(dataset.id, epochs: 2))
        let done = try StorageSupport.waitFor(client, job: next.job, timeout: 30, until: StorageSupport.ended)
        XCTAssertEqual(done["status"] as? String, "succeeded", "the restarted worker trains the next job: \(done)")
        XCTAssertEqual(server.terminate().status, 0, server.log)
    }
}
