import Foundation
import SQLiteStore
import XCTest

/// Sweeps through the routes: grid and random trials as ordinary jobs, at most `parallel` at a
/// time, ASHA's stops, cancel, and the event stream.
final class SweepRouteTests: XCTestCase {
    func testGridRunsEveryCombinationExactlyOnceAsTaggedJobs() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client)
        let created = try client.json(
            "POST", "/v1/sweeps",
            [
                "name": "grid", "job": SweepSupport.job(dataset: dataset, epochs: 2), "search": "grid", "parallel": 2,
                "parameters": [
                    "optimizer.learning_rate": ["values": [0.05, 0.2]],
                    "model.layers[0].units": ["values": [4, 8, 16]],
                ],
                "metric": "val_accuracy",
            ])
        XCTAssertEqual(created.status, 202, created.text)
        let id = created.object["id"] as? String ?? ""
        XCTAssertEqual(created.headers["location"], "/v1/sweeps/\(id)")
        XCTAssertEqual(created.object["trial_count"] as? Int, 6)
        XCTAssertEqual(created.object["goal"] as? String, "maximize")
        // At most `parallel` trials are queued or running at any moment.
        var maxActive = 0
        var sweep: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(120)
        repeat {
            sweep = try client.request("GET", "/v1/sweeps/\(id)").object
            let counts = sweep["counts"] as? [String: Int] ?? [:]
            maxActive = max(maxActive, (counts["queued"] ?? 0) + (counts["running"] ?? 0))
            Thread.sleep(forTimeInterval: 0.01)
        } while sweep["status"] as? String == "running" && Date() < deadline
        XCTAssertEqual(sweep["status"] as? String, "succeeded", "\(sweep)")
        XCTAssertLessThanOrEqual(maxActive, 2)
        let trials = SweepSupport.trials(sweep)
        XCTAssertEqual(trials.count, 6)
        XCTAssertEqual(Set(trials.compactMap { $0["status"] as? String }), ["succeeded"])
        let combinations = Set(
            try SweepSupport.paramsInOrder(sweep))
        XCTAssertEqual(combinations.count, 6, "every combination once")
        XCTAssertEqual(
            try SweepSupport.paramsInOrder(sweep).first, #"{"model.layers[0].units":4,"optimizer.learning_rate":0.05}"#)
        // Best first, and `best` is the first trial.
        let metrics = trials.compactMap { $0["metric"] as? Double }
        XCTAssertEqual(metrics.count, 6)
        XCTAssertEqual(metrics, metrics.sorted(by: >))
        let best = sweep["best"] as? [String: Any] ?? [:]
        XCTAssertEqual(best["job_id"] as? String, trials.first?["job_id"] as? String)
        XCTAssertEqual(best["metric"] as? Double, metrics.first)
        // Each trial is an ordinary job with the sweep's tag and a numbered name, and its
        // parameters in its config.
        let tagged = try client.request("GET", "/v1/jobs?tag=sweep:\(id)").object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(tagged.count, 6)
        XCTAssertEqual(Set(tagged.compactMap { $0["name"] as? String }), Set((1...6).map { "grid #\($0)" }))
        for trial in trials {
            let job = try client.request("GET", "/v1/jobs/\(trial["job_id"] as? String ?? "")").object
            let params = trial["params"] as? [String: Any] ?? [:]
            let config = job["config"] as? [String: Any] ?? [:]
            let optimizer = config["optimizer"] as? [String: Any] ?? [:]
            XCTAssertEqual(optimizer["learning_rate"] as? Double, params["optimizer.learning_rate"] as? Double)
            XCTAssertEqual(job["model_id"] as? String, trial["model_id"] as? String)
        }
        let list = try client.request("GET", "/v1/sweeps").object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(list.map { $0["id"] as? String }, [id])
        XCTAssertNil(list.first?["trials"], "lists answer the counts and the best, not every trial")
    }

    func testASHAStopsTrialsOutsideTheTopFractionAtEachRung() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client)
        let created = try client.json(
            "POST", "/v1/sweeps",
            [
                "job": SweepSupport.job(dataset: dataset, epochs: 6), "trials": 8, "seed": 5,
                "parameters": ["optimizer.learning_rate": ["log_uniform": [0.001, 1.0]]],
                "early_termination": ["type": "asha", "min_epochs": 1, "reduction_factor": 2],
            ])
        XCTAssertEqual(created.status, 202, created.text)
        let id = created.object["id"] as? String ?? ""
        XCTAssertEqual(created.object["metric"] as? String, "val_loss", "the default with validation data")
        let sweep = try SweepSupport.waitForSweep(client, id)
        XCTAssertEqual(sweep["status"] as? String, "succeeded", "\(sweep)")
        let trials = SweepSupport.trials(sweep)
        let stopped = trials.filter { $0["stopped_by"] as? String == "asha" }
        XCTAssertGreaterThanOrEqual(stopped.count, 1, "\(trials)")
        XCTAssertEqual(sweep["stopped_early"] as? Int, stopped.count)
        for trial in stopped {
            XCTAssertEqual(trial["status"] as? String, "cancelled")
            XCTAssert([1, 2, 4].contains(trial["epochs"] as? Int ?? 0), "stopped at a rung: \(trial)")
            let job = try client.request("GET", "/v1/jobs/\(trial["job_id"] as? String ?? "")").object
            XCTAssertEqual(job["stopped_by"] as? String, "asha")
            let checkpoints = try client.request("GET", "/v1/models/\(trial["model_id"] as? String ?? "")/checkpoints")
            XCTAssertFalse(
                (checkpoints.object["items"] as? [Any] ?? []).isEmpty, "a stopped trial keeps its checkpoints")
        }
        // Replays the rung records in arrival order: each decision is the rule's (rank within
        // the top ⌈n/η⌉, the first arrival always continues), and the stopped trials are exactly
        // those with a "stop" decision.
        let rows = try service.store.database.read { db in
            try db.query(
                "SELECT rung, trial, metric, continues FROM sweep_rungs WHERE sweep_id = ? ORDER BY rung, arrival", [id]
            )
        }
        var earlier: [Int: [Double]] = [:]
        var stopDecisions = Set<Int>()
        for row in rows {
            let rung: Int = try row.get("rung")
            let metric: Double = try row.get("metric")
            let better = (earlier[rung] ?? []).filter { $0 < metric }.count
            let n = (earlier[rung]?.count ?? 0) + 1
            XCTAssertEqual(try row.get("continues") as Bool, better + 1 <= (n + 1) / 2, "rung \(rung)")
            if !(try row.get("continues") as Bool) { stopDecisions.insert(try row.get("trial") as Int + 1) }
            earlier[rung, default: []].append(metric)
        }
        XCTAssertEqual(Set(stopped.compactMap { $0["trial"] as? Int }), stopDecisions)
    }

    func testCancelStopsQueuedAndRunningTrialsAndLaunchesNoMore() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client, SweepSupport.learnableCSV(rows: 4000))
        let created = try client.json(
            "POST", "/v1/sweeps",
            [
                "job": SweepSupport.job(dataset: dataset, epochs: 400), "trials": 4, "parallel": 2,
                "parameters": ["batch_size": ["values": [8, 16]]],
            ])
        XCTAssertEqual(created.status, 202, created.text)
        let id = created.object["id"] as? String ?? ""
        let deadline = Date().addingTimeInterval(30)
        var sweep: [String: Any] = [:]
        repeat {
            sweep = try client.request("GET", "/v1/sweeps/\(id)").object
            Thread.sleep(forTimeInterval: 0.02)
        } while (sweep["counts"] as? [String: Int])?["running"] != 1 && Date() < deadline
        // A stream opened before the cancel ends with the sweep's final status.
        let streamed = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var stream: TestClient.Response?
        DispatchQueue.global().async {
            stream = try? client.request("GET", "/v1/sweeps/\(id)/events", timeout: 20)
            streamed.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let cancelled = try client.request("POST", "/v1/sweeps/\(id)/cancel")
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        XCTAssertEqual(cancelled.object["status"] as? String, "cancelled")
        let statuses = SweepSupport.trials(cancelled.object).compactMap { $0["status"] as? String }
        XCTAssertEqual(statuses.filter { $0 == "cancelled" }.count, 4, "\(statuses)")
        XCTAssertEqual(SweepSupport.trials(cancelled.object).filter { $0["job_id"] is String }.count, 2)
        Thread.sleep(forTimeInterval: 0.6)
        let later = try client.request("GET", "/v1/sweeps/\(id)").object
        XCTAssertEqual(SweepSupport.trials(later).filter { $0["job_id"] is String }.count, 2, "no trial launches after")
        XCTAssertEqual(streamed.wait(timeout: .now() + 20), .success)
        let lastData = stream?.text.split(separator: "\n").last { $0.hasPrefix("data: ") }?.dropFirst(6) ?? ""
        let final = try JSONSerialization.jsonObject(with: Data(lastData.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(final["status"] as? String, "cancelled", stream?.text ?? "no stream")
        let again = try client.request("POST", "/v1/sweeps/\(id)/cancel")
        XCTAssertEqual(again.status, 409, again.text)
        XCTAssertEqual(try client.request("POST", "/v1/sweeps/sw_0000000000000000/cancel").status, 404)
        XCTAssertEqual(try client.request("GET", "/v1/sweeps/sw_0000000000000000").status, 404)
        XCTAssertEqual(try client.request("GET", "/v1/sweeps/sw_0000000000000000/events").status, 404)
        XCTAssertEqual(try client.request("GET", "/v1/sweeps?limit=0").status, 400)
    }

    func testEventStreamReportsTrialsAndEndsWithTheSweep() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client)
        let created = try client.json(
            "POST", "/v1/sweeps",
            [
                "job": SweepSupport.job(dataset: dataset, epochs: 2), "search": "grid",
                "parameters": ["optimizer.learning_rate": ["values": [0.05, 0.1, 0.2]]],
            ])
        let id = created.object["id"] as? String ?? ""
        let stream = try client.request("GET", "/v1/sweeps/\(id)/events", timeout: 60)
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.headers["content-type"], "text/event-stream")
        let names = stream.text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { $0.dropFirst(7) }
        XCTAssertEqual(names.first, "status")
        XCTAssertEqual(names.last, "status")
        XCTAssert(names.contains("trial"), stream.text)
        let lastData = stream.text.split(separator: "\n").last { $0.hasPrefix("data: ") }?.dropFirst(6) ?? ""
        let final = try JSONSerialization.jsonObject(with: Data(lastData.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(final["status"] as? String, "succeeded")
        // An ended sweep's stream answers its state at once and ends.
        let ended = try client.request("GET", "/v1/sweeps/\(id)/events", timeout: 5)
        XCTAssertEqual(ended.text.components(separatedBy: "event: status").count, 2, ended.text)
        XCTAssertEqual(service.app.sweepListenerCount, 0)
    }
}
