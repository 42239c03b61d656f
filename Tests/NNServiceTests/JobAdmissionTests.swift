import Foundation
import XCTest

/// Everything about a job that can be known at submission is a 422 then, from the spec and the
/// data sets' descriptions: nothing is stored and no job starts only to fail.
final class JobAdmissionTests: XCTestCase {
    private func expect(
        _ response: TestClient.Response, _ status: Int, code: String? = nil, path: String? = nil,
        line: UInt = #line
    ) {
        XCTAssertEqual(response.status, status, response.text, line: line)
        if let code { XCTAssertEqual(response.errorCode, code, response.text, line: line) }
        if let path { XCTAssertEqual(response.errorPath, path, response.text, line: line) }
    }

    func testMismatchesAreRefusedAtSubmission() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let flat = try client.json(
            "POST", "/v1/datasets", ["inputs": [[0, 1], [1, 0], [1, 1], [0, 0]], "targets": [1, 1, 0, 0]])
        let wide = try client.json("POST", "/v1/datasets", ["inputs": [[0, 1, 2]], "targets": [1]])
        let regression = try client.json(
            "POST", "/v1/datasets", ["inputs": [[0, 1], [1, 0]], "targets": [0.5, 2], "task": "regression"])
        let ids = [flat, wide, regression].map { $0.object["id"] as? String ?? "" }
        let before = try service.counts()
        func job(_ changes: [String: Any]) throws -> TestClient.Response {
            var body: [String: Any] = [
                "model": ["input_shape": [2], "layers": [["type": "dense", "units": 2]]], "dataset": ids[0],
                "loss": "cross_entropy", "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1,
            ]
            for (key, value) in changes { body[key] = value }
            return try client.json("POST", "/v1/jobs", body)
        }
        // Augmentation on rows that are not images: accepted and failed at start before.
        expect(
            try job(["augmentation": ["flip_horizontal": true]]), 422, code: "incompatible_augmentation",
            path: "augmentation")
        // A validation set that does not fit the model: failed at start before.
        expect(try job(["validation": ["dataset": ids[1]]]), 422, code: "shape_mismatch", path: "model.input_shape")
        expect(try job(["dataset": ids[2]]), 422, code: "incompatible_loss", path: "loss")
        expect(
            try job([
                "dataset": ids[2], "loss": "binary_cross_entropy",
                "model": ["input_shape": [2], "layers": [["type": "dense", "units": 1]]],
            ]),
            422, code: "incompatible_loss", path: "loss")
        XCTAssertEqual(try service.counts(), before, "rejected jobs store nothing")
        XCTAssertEqual(try service.queue.depth(), 0)
    }

    /// A 1×1 convolution with 2^20 filters on 64×64 images: 3 M parameters (under the parameter
    /// limit) but 17 GB of activations per sample. It used to abort the process when it started
    /// (and at every restart); now it is refused with the estimate and the limit named.
    func testJobOverTheMemoryBudgetIsRefused() throws {
        let service = try ServiceHarness { $0.maxMemoryBytes = 8 << 30 }
        defer { service.shutdown() }
        let client = service.client
        let image = Array(repeating: Array(repeating: [0.5, 0.25], count: 64), count: 64)
        let data = try client.json(
            "POST", "/v1/datasets", ["input_shape": [64, 64, 2], "inputs": [image], "targets": [0]])
        XCTAssertEqual(data.status, 201, data.text)
        let before = try service.counts()
        let response = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [64, 64, 2],
                    "layers": [
                        ["type": "conv2d", "filters": 1 << 20, "kernel_size": 1],
                        ["type": "conv2d", "filters": 1, "kernel_size": 1], ["type": "flatten"],
                        ["type": "dense", "units": 2],
                    ],
                ],
                "dataset": data.object["id"] as? String ?? "", "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1, "batch_size": 1,
            ])
        expect(response, 422, code: "too_large")
        XCTAssert(response.text.contains("8192.0 MiB"), response.text)
        XCTAssertEqual(try service.counts(), before)
        // The same shapes at a size that fits are accepted: the estimate refuses only what is too big.
        let small = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [64, 64, 2],
                    "layers": [
                        ["type": "conv2d", "filters": 4, "kernel_size": 1],
                        ["type": "conv2d", "filters": 1, "kernel_size": 1], ["type": "flatten"],
                        ["type": "dense", "units": 2],
                    ],
                ],
                "dataset": data.object["id"] as? String ?? "", "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1, "batch_size": 1,
            ])
        expect(small, 202)
    }
}
