import Foundation
import NNCore
import Synchronization
import XCTest

final class OperationsTests: XCTestCase {
    func testBearerTokenGuardsV1AndLeavesOperationsOpen() throws {
        let service = try ServiceHarness(token: "s3cret")
        defer { service.shutdown() }
        var anonymous = service.client
        anonymous.token = nil
        let denied = try anonymous.request("GET", "/v1/datasets")
        XCTAssertEqual(denied.status, 401)
        XCTAssertEqual(denied.headers["www-authenticate"]?.hasPrefix("Bearer"), true)
        var wrong = service.client
        wrong.token = "s3cres"
        XCTAssertEqual(try wrong.request("GET", "/v1/datasets").status, 401)
        XCTAssertEqual(try service.client.request("GET", "/v1/datasets").status, 200)
        for open in ["/healthz", "/readyz", "/metrics"] {
            XCTAssertEqual(try anonymous.request("GET", open).status, 200, open)
        }
    }

    func testMetricsCountKnownRequests() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        for _ in 0..<3 { _ = try client.request("GET", "/healthz") }
        _ = try client.request("GET", "/v1/jobs/job_nope")
        let text = try client.request("GET", "/metrics").text
        XCTAssert(text.contains(#"nnserve_http_requests_total{route="/healthz",method="GET",status="200"} 3"#), text)
        XCTAssert(
            text.contains(#"nnserve_http_requests_total{route="/v1/jobs/{id}",method="GET",status="404"} 1"#), text)
        XCTAssert(text.contains(#"nnserve_http_request_duration_seconds_count{route="/healthz"} 3"#), text)
        for name in [
            "nnserve_jobs{status=\"queued\"} 0", "nnserve_training_samples_total 0", "nnserve_queue_depth 0",
            "nnserve_cpu_isa{isa=\"\(KernelISA.active)\"} 1",
        ] {
            XCTAssert(text.contains(name), name)
        }
    }

    func testEventsStreamEpochsAndStatusThenEnd() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let inputs: [[Double]] = (0..<64).map { [Double($0 % 8), Double($0 / 8)] }
        let targets: [Int] = (0..<64).map { $0 % 2 }
        let dataset =
            try client.json("POST", "/v1/datasets", ["inputs": inputs, "targets": targets]).object["id"] as? String
            ?? ""
        func submit(epochs: Int) throws -> String {
            let model: [String: Any] = [
                "input_shape": [2],
                "layers": [
                    ["type": "dense", "units": 8, "activation": "tanh"],
                    ["type": "dense", "units": 2],
                ],
            ]
            let body: [String: Any] = [
                "model": model, "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": epochs,
            ]
            return try client.json("POST", "/v1/jobs", body).object["id"] as? String ?? ""
        }
        // A long job holds the only worker, so the watched job waits queued while two
        // listeners attach; cancelling the blocker lets it run.
        let blocker = try submit(epochs: 90_000)
        let id = try submit(epochs: 3)
        let collected = Mutex<[TestClient.Response?]>([nil, nil])
        let group = DispatchGroup()
        for index in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                let response = try? client.request("GET", "/v1/jobs/\(id)/events", timeout: 30)
                collected.withLock { $0[index] = response }
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while service.app.events.listenerCount < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertEqual(service.app.events.listenerCount, 2)
        XCTAssertEqual(try client.request("POST", "/v1/jobs/\(blocker)/cancel").status, 200)
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        for stream in collected.withLock({ $0 }) {
            let response = try XCTUnwrap(stream)
            XCTAssertEqual(response.headers["content-type"]?.hasPrefix("text/event-stream"), true)
            let text = response.text
            XCTAssertEqual(text.components(separatedBy: "event: epoch").count - 1, 3, text)
            XCTAssert(text.contains("\"status\":\"queued\""), text)
            XCTAssert(text.contains("\"status\":\"running\""), text)
            XCTAssert(
                text.hasSuffix("\"status\":\"succeeded\"}\n\n") || text.contains("\"status\":\"succeeded\""), text)
        }
        let ended = try client.request("GET", "/v1/jobs/\(id)/events")
        XCTAssertEqual(
            ended.text.components(separatedBy: "event: status").count - 1, 1,
            "an ended job's stream is one status event")
        XCTAssertEqual(service.app.events.listenerCount, 0)
        let metrics = try client.request("GET", "/metrics").text
        XCTAssert(metrics.contains("nnserve_jobs{status=\"succeeded\"} 1"), metrics)
    }

    func testFullQueueAnswers429WithRetryAfter() throws {
        let service = try ServiceHarness(maxQueuedJobs: 1)
        defer { service.shutdown() }
        let client = service.client
        let dataset =
            try client.json("POST", "/v1/datasets", ["inputs": [[0.0], [1.0]], "targets": [0, 1]]).object["id"]
            as? String ?? ""
        func submit() throws -> TestClient.Response {
            try client.json(
                "POST", "/v1/jobs",
                [
                    "model": ["input_shape": [1], "layers": [["type": "dense", "units": 2]]],
                    "dataset": dataset, "loss": "cross_entropy",
                    "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 90_000,
                ])
        }
        let running = try submit()
        XCTAssertEqual(running.status, 202)
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(try submit().status, 202, "the first job runs, the second waits")
        // Metrics and checkpoints grow while the first job runs; the other tables must not.
        let before = try service.counts().prefix(3)
        let full = try submit()
        XCTAssertEqual(full.status, 429, full.text)
        XCTAssertNotNil(full.headers["retry-after"])
        XCTAssertEqual(try service.counts().prefix(3), before)
        for job in try client.request("GET", "/v1/jobs").object["items"] as? [[String: Any]] ?? [] {
            _ = try client.request("POST", "/v1/jobs/\(job["id"] as? String ?? "")/cancel")
        }
    }

    /// The operator's limits on parameters and epochs answer 422 before anything is stored.
    func testParameterAndEpochLimits() throws {
        let service = try ServiceHarness { options in
            options.maxParameters = 100
            options.maxEpochs = 10
        }
        defer { service.shutdown() }
        let client = service.client
        let dataset =
            try client.json("POST", "/v1/datasets", ["inputs": [[0.0], [1.0]], "targets": [0, 1]]).object["id"]
            as? String ?? ""
        let before = try service.counts()
        let big: [String: Any] = [
            "input_shape": [1], "layers": [["type": "dense", "units": 64], ["type": "dense", "units": 2]],
        ]
        let tooBig = try client.json("POST", "/v1/models", big)
        XCTAssertEqual(tooBig.status, 422)
        XCTAssertEqual(tooBig.errorCode, "too_large")
        let small: [String: Any] = ["input_shape": [1], "layers": [["type": "dense", "units": 2]]]
        let long = try client.json(
            "POST", "/v1/jobs",
            [
                "model": small, "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 11,
            ])
        XCTAssertEqual(long.status, 422)
        XCTAssertEqual(long.errorPath, "epochs")
        let bigJob = try client.json(
            "POST", "/v1/jobs",
            [
                "model": big, "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1,
            ])
        XCTAssertEqual(bigJob.status, 422)
        XCTAssertEqual(bigJob.errorPath, "model.layers[1]", "the largest layer is named")
        XCTAssertEqual(try service.counts(), before)
    }
}
