import NNService
import XCTest

final class JobStatusTests: XCTestCase {
    func testTransitions() {
        XCTAssertEqual(JobStatus.queued.after(.start), .running)
        XCTAssertEqual(JobStatus.queued.after(.cancel), .cancelled)
        XCTAssertEqual(JobStatus.running.after(.cancel), .cancelled)
        XCTAssertEqual(JobStatus.running.after(.succeed), .succeeded)
        XCTAssertEqual(JobStatus.running.after(.fail), .failed)
        XCTAssertEqual(JobStatus.running.after(.interrupt), .queued)
        XCTAssertNil(JobStatus.queued.after(.succeed))
        XCTAssertNil(JobStatus.queued.after(.interrupt))
        for ended in [JobStatus.succeeded, .failed, .cancelled] {
            XCTAssert(ended.hasEnded)
            for event in [JobStatus.Event.start, .succeed, .fail, .cancel, .interrupt] {
                XCTAssertNil(ended.after(event), "\(ended) must not change on \(event)")
            }
        }
    }

    /// A job that diverges fails with an error that says so and suggests a lower rate.
    func testDivergingJobFailsWithAHint() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset =
            try client.json(
                "POST", "/v1/datasets",
                [
                    "inputs": [[1e30, -1e30], [-1e30, 1e30]],
                    "targets": [[1.0], [0.0]],
                ]
            ).object["id"] as? String ?? ""
        let job = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [2], "layers": [["type": "dense", "units": 4], ["type": "dense", "units": 1]],
                ],
                "dataset": dataset, "loss": "mse", "optimizer": ["type": "sgd", "learning_rate": 1000.0], "epochs": 50,
            ])
        XCTAssertEqual(job.status, 202, job.text)
        let final = try service.waitForJob(job.object["id"] as? String ?? "")
        XCTAssertEqual(final["status"] as? String, "failed")
        let error = final["error"] as? [String: Any]
        XCTAssertEqual(error?["code"] as? String, "diverged")
        XCTAssert((error?["message"] as? String ?? "").contains("lower the learning rate"), "\(final)")
    }
}
