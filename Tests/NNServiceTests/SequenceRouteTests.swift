import Foundation
import NNCore
import XCTest

/// Per-step outputs and token inputs through the API: a tagging LSTM trains to the stated
/// accuracy and predicts one class per step; token ids and per-step targets that do not fit
/// the model are 422s naming the row and column, at submission and in predict, storing nothing.
final class SequenceRouteTests: XCTestCase {
    /// Token sequences over 10 ids; each step is tagged 1 when the *previous* token is 5 or more
    /// (step 0 is tagged 0), so the tagger needs its memory, not just the current token.
    static func delayedTags(count: Int, steps: Int, seed: UInt64) -> (inputs: [[Int]], tags: [[Int]]) {
        var rng = SeededGenerator(seed: seed)
        var inputs: [[Int]] = [], tags: [[Int]] = []
        for _ in 0..<count {
            let tokens = (0..<steps).map { _ in rng.index(below: 10) }
            inputs.append(tokens)
            tags.append([0] + tokens.dropLast().map { $0 >= 5 ? 1 : 0 })
        }
        return (inputs, tags)
    }

    static var tagger: [String: Any] {
        [
            "input_shape": [8],
            "layers": [
                ["type": "embedding", "input_dim": 10, "output_dim": 8],
                ["type": "lstm", "units": 16, "return_sequences": true],
                ["type": "dense", "units": 2, "activation": "softmax"],
            ],
        ]
    }

    private func expect(
        _ response: TestClient.Response, _ status: Int, code: String? = nil, path: String? = nil, line: UInt = #line
    ) {
        XCTAssertEqual(response.status, status, response.text, line: line)
        if let code { XCTAssertEqual(response.errorCode, code, response.text, line: line) }
        if let path { XCTAssertEqual(response.errorPath, path, response.text, line: line) }
    }

    func testTaggingLSTMTrainsAndPredictsPerStep() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let train = Self.delayedTags(count: 384, steps: 8, seed: 1)
        let upload = try client.json("POST", "/v1/datasets", ["inputs": train.inputs, "targets": train.tags])
        XCTAssertEqual(upload.status, 201, upload.text)
        XCTAssertEqual((upload.object["target"] as? [String: Any])?["shape"] as? [Int], [8])
        let submitted = try client.json(
            "POST", "/v1/jobs",
            [
                "model": Self.tagger, "dataset": upload.object["id"] as? String ?? "", "loss": "cross_entropy",
                "optimizer": ["type": "adam", "learning_rate": 0.02], "epochs": 25, "batch_size": 32,
            ])
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let job = try service.waitForJob(submitted.object["id"] as? String ?? "")
        XCTAssertEqual(job["status"] as? String, "succeeded", "\(job)")
        let metrics =
            try client.request("GET", "/v1/jobs/\(job["id"] as? String ?? "")/metrics")
            .object["epochs"] as? [[String: Any]] ?? []
        // Accuracy counts steps: a fraction of N·T tags.
        XCTAssertGreaterThan(metrics.last?["accuracy"] as? Double ?? 0, 0.95, "\(metrics.last ?? [:])")

        let modelID = try XCTUnwrap(job["model_id"] as? String)
        let test = Self.delayedTags(count: 100, steps: 8, seed: 2)
        let prediction = try client.json("POST", "/v1/models/\(modelID)/predict", ["inputs": test.inputs])
        XCTAssertEqual(prediction.status, 200, prediction.text)
        let outputs = try XCTUnwrap(prediction.object["outputs"] as? [[[Double]]])
        XCTAssertEqual(outputs.count, 100)
        XCTAssertEqual(outputs[0].count, 8)
        XCTAssertEqual(outputs[0][3].reduce(0, +), 1, accuracy: 1e-4, "softmax per step")
        let classes = try XCTUnwrap(prediction.object["classes"] as? [[Int]])
        let right = zip(classes.joined(), test.tags.joined()).filter { $0 == $1 }.count
        XCTAssertGreaterThan(Double(right) / 800, 0.95, "held-out per-step accuracy")

        // Out-of-vocabulary and non-integer tokens: 422 naming the row and column.
        var bad = Array(test.inputs[0..<3])
        bad[2][5] = 10
        expect(try client.json("POST", "/v1/models/\(modelID)/predict", ["inputs": bad]), 422, path: "inputs[2][5]")
        bad[2][5] = 3
        let fractional: [[Double]] = bad.map { $0.map(Double.init) }
        var broken = fractional
        broken[1][0] = 2.5
        expect(
            try client.json("POST", "/v1/models/\(modelID)/predict", ["inputs": broken]), 422, code: "invalid_token",
            path: "inputs[1][0]")
        broken[1][0] = -1
        expect(try client.json("POST", "/v1/models/\(modelID)/predict", ["inputs": broken]), 422, path: "inputs[1][0]")
    }

    /// Per-step binary cross-entropy: `classes` is nested as `outputs` is, one 0/1 per output
    /// of each step, each matching its probability.
    func testPerStepBinaryClassesAreNestedPerStep() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let inputs = (0..<16).map { row in (0..<3).map { step in [Double(row % 4) - 1.5, Double(step) - 1] } }
        let targets = inputs.map { steps in steps.map { [$0[0] > 0 ? 1 : 0, $0[1] > 0 ? 1 : 0] } }
        let upload = try client.json(
            "POST", "/v1/datasets", ["input_shape": [3, 2], "inputs": inputs, "targets": targets])
        XCTAssertEqual(upload.status, 201, upload.text)
        let model: [String: Any] = [
            "input_shape": [3, 2], "layers": [["type": "dense", "units": 2, "activation": "sigmoid"]],
        ]
        let submitted = try client.json(
            "POST", "/v1/jobs",
            [
                "model": model, "dataset": upload.object["id"] as? String ?? "", "loss": "binary_cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1, "batch_size": 8,
            ])
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let job = try service.waitForJob(try XCTUnwrap(submitted.object["id"] as? String))
        XCTAssertEqual(job["status"] as? String, "succeeded", "\(job)")
        let prediction = try client.json(
            "POST", "/v1/models/\(job["model_id"] as? String ?? "")/predict", ["inputs": Array(inputs[0..<4])])
        XCTAssertEqual(prediction.status, 200, prediction.text)
        let outputs = try XCTUnwrap(prediction.object["outputs"] as? [[[Double]]], prediction.text)
        let classes = try XCTUnwrap(prediction.object["classes"] as? [[[Int]]], prediction.text)
        XCTAssertEqual(classes.count, 4)
        for (sampleOutputs, sampleClasses) in zip(outputs, classes) {
            XCTAssertEqual(sampleClasses.count, 3)
            XCTAssertEqual(sampleClasses, sampleOutputs.map { $0.map { $0 > 0.5 ? 1 : 0 } })
        }
    }

    func testTokensAndPerStepTargetsThatDoNotFitAreRefusedAtSubmission() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let data = Self.delayedTags(count: 6, steps: 8, seed: 3)
        func upload(_ inputs: Any, _ targets: Any) throws -> String {
            let response = try client.json("POST", "/v1/datasets", ["inputs": inputs, "targets": targets])
            XCTAssertEqual(response.status, 201, response.text)
            return response.object["id"] as? String ?? ""
        }
        var outOfRange = data.inputs
        outOfRange[4][6] = 12
        let badTokens = try upload(outOfRange, data.tags)
        var badTagRows = data.tags
        badTagRows[3][2] = 2
        let badTags = try upload(data.inputs, badTagRows)
        let shortTags = try upload(data.inputs, data.tags.map { Array($0.prefix(7)) })
        let vectorTags = try upload(data.inputs, data.tags.map { $0.map { [Double($0), 1 - Double($0)] } })
        let good = try upload(data.inputs, data.tags)
        let before = try service.counts()
        func job(
            _ dataset: String, loss: String = "cross_entropy", validation: String? = nil
        ) throws
            -> TestClient.Response
        {
            var body: [String: Any] = [
                "model": Self.tagger, "dataset": dataset, "loss": loss,
                "optimizer": ["type": "adam", "learning_rate": 0.01], "epochs": 1,
            ]
            if let validation { body["validation"] = ["dataset": validation] }
            return try client.json("POST", "/v1/jobs", body)
        }
        let tokens = try job(badTokens)
        expect(tokens, 422, code: "invalid_token", path: "dataset")
        XCTAssert(tokens.text.contains("row 4, column 6"), tokens.text)
        expect(try job(good, validation: badTokens), 422, code: "invalid_token", path: "validation.dataset")
        let tags = try job(badTags)
        expect(tags, 422, code: "invalid_target", path: "dataset")
        XCTAssert(tags.text.contains("row 3, step 2"), tags.text)
        expect(try job(shortTags), 422, code: "shape_mismatch", path: "model.layers[2]")
        // Vectors per step fit mse on [8, 2] outputs, not cross-entropy's class indices.
        expect(try job(vectorTags), 422, code: "shape_mismatch", path: "model.layers[2]")
        expect(try job(good, loss: "mse"), 422, code: "shape_mismatch", path: "model.layers[2]")
        XCTAssertEqual(try service.counts(), before, "rejected jobs store nothing")
        // The same per-step vectors train with mse.
        let mse = try job(vectorTags, loss: "mse")
        XCTAssertEqual(mse.status, 202, mse.text)
        XCTAssertEqual(try service.waitForJob(mse.object["id"] as? String ?? "")["status"] as? String, "succeeded")
    }

    func testHostileSequenceSpecsAndTargets() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let before = try service.counts()
        for (layer, path) in [
            (["type": "embedding", "input_dim": 1 << 40, "output_dim": 4], "layers[0].input_dim"),
            (["type": "embedding", "input_dim": 4, "output_dim": Int.max], "layers[0].output_dim"),
            (["type": "embedding", "input_dim": 1 << 20, "output_dim": 1 << 20], "layers[0].input_dim"),
            (["type": "embedding", "input_dim": 1e300, "output_dim": 4], "layers[0].input_dim"),
            (["type": "embedding", "input_dim": -3, "output_dim": 4], "layers[0].input_dim"),
            (["type": "embedding", "input_dim": 1_000_000, "output_dim": 1000], "layers[0].input_dim"),
        ] as [([String: Any], String)] {
            let response = try client.json(
                "POST", "/v1/models", ["input_shape": [8], "layers": [layer, ["type": "global_avgpool"]]])
            expect(response, 422, path: path)
        }
        // Under the 2^31 cap but over the server's parameter limit (10 M by default).
        let vocabulary = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [8], "layers": [["type": "embedding", "input_dim": 1_000_000, "output_dim": 1000]],
                ],
                "dataset": "ds_none", "loss": "mse", "optimizer": ["type": "sgd", "learning_rate": 0.1],
            ])
        XCTAssertEqual(vocabulary.status, 422, vocabulary.text)
        // Ragged and malformed per-step targets name the place.
        for (targets, path) in [
            ([[[1, 2], [3, 4]], [[1, 2], [3]]], "targets[1][1]"), ([[[1, 2], [3, 4]], [[1, 2]]], "targets[1]"),
            ([[[1, 2], [3, 4]], [[1, 2], [3, "x"]]], "targets[1][1][1]"), ([[[], []], [[], []]], "targets[0][0]"),
            ([[[1, 2], [3, 4]], [[1, 2], 5]], "targets[1][1]"),
        ] as [([Any], String)] {
            let response = try client.json("POST", "/v1/datasets", ["inputs": [[1, 2], [3, 4]], "targets": targets])
            expect(response, 422, path: path)
        }
        for (targets, path) in [
            ([[0, 1.5], [1, 0]], "targets[0][1]"), ([[0, 1], [-1, 0]], "targets[1][0]"),
            ([[[0], [1]], [[1], [0]]], "targets[0][0]"),
        ] as [([Any], String)] {
            let response = try client.json(
                "POST", "/v1/datasets", ["inputs": [[1, 2], [3, 4]], "targets": targets, "task": "classification"])
            expect(response, 422, path: path)
        }
        XCTAssertEqual(try service.counts(), before)
        // Per-step class indices under "task": "classification" are stored as values [steps].
        let tags = try client.json(
            "POST", "/v1/datasets",
            ["inputs": [[1, 2], [3, 4]], "targets": [[0, 1], [1, 1]], "task": "classification"])
        XCTAssertEqual((tags.object["target"] as? [String: Any])?["shape"] as? [Int], [2], tags.text)
        // Well-formed per-step vectors are stored as [steps, k].
        let vectors = try client.json(
            "POST", "/v1/datasets",
            ["inputs": [[1, 2], [3, 4]], "targets": [[[1, 2, 3], [3, 4, 5]], [[1, 2, 3], [3, 4, 5]]]])
        XCTAssertEqual((vectors.object["target"] as? [String: Any])?["shape"] as? [Int], [2, 3], vectors.text)
    }
}
