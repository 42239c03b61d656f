import Foundation
import NNCore
import XCTest

final class ServiceEndToEndTests: XCTestCase {
    nonisolated(unsafe) static let a1Model: [String: Any] = [
        "input_shape": [64],
        "layers": [
            ["type": "dense", "units": 64, "activation": "relu"], ["type": "dense", "units": 10],
        ],
    ]

    static func a1Job(_ dataset: String, epochs: Int = 50) -> [String: Any] {
        [
            "model": a1Model, "dataset": dataset, "loss": "cross_entropy",
            "optimizer": ["type": "sgd", "learning_rate": 0.1, "momentum": 0.9], "batch_size": 32, "epochs": epochs,
            "seed": 0,
        ]
    }

    /// Upload digits, train A1 through the API, predict the test rows.
    func testDigitsUploadTrainPredict() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let digits = try DigitsFixture.load()
        let upload = try client.request(
            "POST", "/v1/datasets?name=digits&drop=split&target=label",
            body: Array(digits.trainCSV.utf8), contentType: "text/csv")
        XCTAssertEqual(upload.status, 201, upload.text)
        XCTAssertEqual(upload.object["rows"] as? Int, 1437)
        XCTAssertEqual((upload.object["target"] as? [String: Any])?["classes"] as? Int, 10)
        let dataset = try XCTUnwrap(upload.object["id"] as? String)

        let submitted = try client.json("POST", "/v1/jobs", Self.a1Job(dataset))
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let jobID = try XCTUnwrap(submitted.object["id"] as? String)
        XCTAssertEqual(submitted.headers["location"], "/v1/jobs/\(jobID)")
        let job = try service.waitForJob(jobID)
        XCTAssertEqual(job["status"] as? String, "succeeded", "\(job)")
        XCTAssertEqual(job["epoch"] as? Int, 50)
        XCTAssertEqual(job["progress"] as? Double, 1)

        let history = try client.request("GET", "/v1/jobs/\(jobID)/metrics").object["epochs"] as? [[String: Any]] ?? []
        XCTAssertEqual(history.map { $0["epoch"] as? Int }, (1...50).map { $0 })
        XCTAssert(history.allSatisfy { $0["loss"] is Double && $0["accuracy"] is Double && $0["grad_norm"] is Double })

        let modelID = try XCTUnwrap(job["model_id"] as? String)
        let model = try client.request("GET", "/v1/models/\(modelID)").object
        XCTAssertEqual(model["status"] as? String, "ready")
        XCTAssertEqual(model["params"] as? Int, 64 * 64 + 64 + 64 * 10 + 10)
        let prediction = try client.json("POST", "/v1/models/\(modelID)/predict", ["inputs": digits.testRows])
        XCTAssertEqual(prediction.status, 200)
        let classes = try XCTUnwrap(prediction.object["classes"] as? [Int])
        let outputs = try XCTUnwrap(prediction.object["outputs"] as? [[Double]])
        XCTAssertEqual(outputs.first?.reduce(0, +) ?? 0, 1, accuracy: 1e-4, "softmax probabilities")
        let accuracy =
            Double(zip(classes, digits.testLabels).filter { $0 == $1 }.count) / Double(digits.testLabels.count)
        XCTAssertGreaterThanOrEqual(accuracy, 0.96, "A1 through the API: \(accuracy)")

        // The weights download loads back through upload into a new model with the same spec.
        let weights = try client.request("GET", "/v1/models/\(modelID)/weights")
        XCTAssertEqual(weights.headers["content-type"], "application/octet-stream")
        let file = try SafetensorsFile(bytes: weights.body)
        XCTAssertEqual(file.tensor(named: "layers.0.weight")?.shape, [64, 64])
        let copy = try client.json("POST", "/v1/models", Self.a1Model).object["id"] as? String ?? ""
        XCTAssertEqual(
            try client.json("POST", "/v1/models/\(copy)/predict", ["inputs": [digits.testRows[0]]]).status, 409)
        XCTAssertEqual(
            try client.request(
                "PUT", "/v1/models/\(copy)/weights", body: weights.body,
                contentType: "application/octet-stream"
            ).status, 200)
        let copied = try client.json("POST", "/v1/models/\(copy)/predict", ["inputs": Array(digits.testRows[0..<5])])
            .object
        let original = try client.json(
            "POST", "/v1/models/\(modelID)/predict", ["inputs": Array(digits.testRows[0..<5])]
        ).object
        // Uploaded weights answer the last layer's raw outputs; their argmax is the same class.
        let raw = try XCTUnwrap(copied["outputs"] as? [[Double]])
        XCTAssertEqual(raw.map { row in row.indices.max { row[$0] < row[$1] }! }, original["classes"] as? [Int])

        // Checkpoints: by default the 3 newest and the best; a missing epoch is a 404.
        let checkpoints =
            try client.request("GET", "/v1/models/\(modelID)/checkpoints").object["items"] as? [[String: Any]] ?? []
        let epochs = checkpoints.compactMap { $0["epoch"] as? Int }
        XCTAssertLessThanOrEqual(epochs.count, 4, "\(epochs)")
        XCTAssert(Set([48, 49, 50]).isSubset(of: epochs), "\(epochs)")
        XCTAssertEqual(try client.request("GET", "/v1/models/\(modelID)/weights?epoch=999").status, 404)
        XCTAssertEqual(try client.request("GET", "/v1/models/\(modelID)/weights?epoch=48").status, 200)
        XCTAssertEqual(
            try client.json("POST", "/v1/models/\(modelID)/predict?epoch=48", ["inputs": [digits.testRows[0]]]).status,
            200)
        XCTAssertEqual(try service.store.integrityCheck(), ["ok"])
    }

    func testCancelAQueuedAndARunningJob() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let digits = try DigitsFixture.load()
        let dataset =
            try client.request(
                "POST", "/v1/datasets?drop=split", body: Array(digits.trainCSV.utf8),
                contentType: "text/csv"
            ).object["id"] as? String ?? ""
        let first =
            try client.json("POST", "/v1/jobs", Self.a1Job(dataset, epochs: 100_000)).object["id"] as? String ?? ""
        let second = try client.json("POST", "/v1/jobs", Self.a1Job(dataset, epochs: 5)).object["id"] as? String ?? ""
        // The second waits behind the first (one worker): cancel it while queued.
        let cancelledQueued = try client.request("POST", "/v1/jobs/\(second)/cancel")
        XCTAssertEqual(cancelledQueued.object["status"] as? String, "cancelled")
        // Let the first run an epoch or two, then cancel it.
        let deadline = Date().addingTimeInterval(30)
        while (try client.request("GET", "/v1/jobs/\(first)").object["epoch"] as? Int ?? 0) < 2 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let cancelled = try client.request("POST", "/v1/jobs/\(first)/cancel")
        XCTAssertEqual(cancelled.status, 200)
        XCTAssertEqual(cancelled.object["status"] as? String, "cancelled")
        let again = try client.request("POST", "/v1/jobs/\(first)/cancel")
        XCTAssertEqual(again.status, 409)
        XCTAssertNotNil(again.object["error"])
        Thread.sleep(forTimeInterval: 0.3)
        let final = try client.request("GET", "/v1/jobs/\(first)").object
        XCTAssertEqual(final["status"] as? String, "cancelled")
        // Its last checkpoint stays usable.
        let model = final["model_id"] as? String ?? ""
        XCTAssertEqual(
            try client.json("POST", "/v1/models/\(model)/predict", ["inputs": [digits.testRows[0]]]).status, 200)
        let listed = try client.request("GET", "/v1/jobs?status=cancelled").object["items"] as? [[String: Any]]
        XCTAssertEqual(listed?.count, 2)
    }
}
