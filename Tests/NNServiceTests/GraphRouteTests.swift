import Foundation
import NNCore
import XCTest

/// Graph specs through the API: malformed wiring is a 422 naming the layer and field (and
/// stores nothing), a graph's summary shows names and inputs, its weights travel under the
/// layer names, and a small ResNet and an Inception-style block train to an accuracy.
final class GraphRouteTests: XCTestCase {
    func testMalformedGraphsAreRefusedWithTheirPath() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let upload = try client.json(
            "POST", "/v1/datasets", ["inputs": [[0, 0, 0, 0], [1, 1, 1, 1]], "targets": [0, 1]])
        let dataset = try XCTUnwrap(upload.object["id"] as? String, upload.text)
        let before = try service.counts()
        func expect(_ layers: String, _ path: String, line: UInt = #line) throws {
            let body = #"{"input_shape": [4], "layers": [\#(layers)]}"#
            let response = try client.request("POST", "/v1/models", body: Array(body.utf8))
            XCTAssertEqual(response.status, 422, response.text, line: line)
            XCTAssertEqual(response.errorPath, path, response.text, line: line)
            XCTAssertNotNil(response.errorCode, line: line)
        }
        let dense = #"{"type": "dense", "units": 4"#
        try expect(#"\#(dense), "name": "a"}, \#(dense), "name": "a"}"#, "layers[1].name")
        try expect(
            #"\#(dense)}, \#(dense)}, \#(dense)}, {"type": "add", "inputs": ["2", "ghost"]}"#, "layers[3].inputs[1]")
        try expect(#"\#(dense), "inputs": ["later"]}, \#(dense), "name": "later"}"#, "layers[0].inputs[0]")
        try expect(#"\#(dense), "name": "me", "inputs": ["me"]}"#, "layers[0].inputs[0]")
        try expect(#"\#(dense)}, \#(dense), "inputs": ["input"]}"#, "layers[0]")
        try expect(#"\#(dense)}, {"type": "add"}"#, "layers[1].inputs")
        try expect(#"\#(dense)}, \#(dense), "inputs": ["0", "input"]}"#, "layers[1].inputs")
        try expect(#"{"type": "dense", "units": 3}, {"type": "add", "inputs": ["0", "input"]}"#, "layers[1].inputs[1]")
        try expect(#"\#(dense)}, {"type": "concatenate", "axis": 1, "inputs": ["0", "input"]}"#, "layers[1].axis")
        // Hostile sizes: an overlong name, an input list past the limit, non-strings.
        try expect(#"\#(dense), "name": "\#(String(repeating: "n", count: 100_000))"}"#, "layers[0].name")
        let many = Array(repeating: #""input""#, count: 100_000).joined(separator: ",")
        try expect(#"{"type": "add", "inputs": [\#(many)]}"#, "layers[0].inputs")
        try expect(#"\#(dense), "inputs": [null]}"#, "layers[0].inputs")
        try expect(#"\#(dense), "name": {"a": 1}}"#, "layers[0].name")
        // An inline model of a job is checked the same way, under `model`.
        let job =
            #"{"model": {"input_shape": [4], "layers": [\#(dense)}, {"type": "add", "inputs": ["0", "nope"]}]}, "dataset": "\#(dataset)", "loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 0.1}}"#
        let response = try client.request("POST", "/v1/jobs", body: Array(job.utf8))
        XCTAssertEqual(response.status, 422, response.text)
        XCTAssertEqual(response.errorPath, "model.layers[1].inputs[1]", response.text)
        XCTAssertEqual(try service.counts(), before)
    }

    func testGraphSummaryAndWeightsUseLayerNames() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let spec: [String: Any] = [
            "input_shape": [3],
            "layers": [
                ["name": "left", "type": "dense", "units": 2],
                ["name": "right", "type": "dense", "units": 2, "inputs": ["input"]],
                ["type": "concatenate", "inputs": ["left", "right", "input"]],
                ["name": "out", "type": "dense", "units": 1],
            ],
        ]
        let created = try client.json("POST", "/v1/models", spec)
        XCTAssertEqual(created.status, 201, created.text)
        let summary = try XCTUnwrap(created.object["summary"] as? [[String: Any]])
        XCTAssertEqual(summary.map { $0["name"] as? String }, ["left", "right", "2", "out"])
        XCTAssertEqual(summary[2]["inputs"] as? [String], ["left", "right", "input"])
        XCTAssertEqual(summary[2]["output_shape"] as? [Int], [7])
        XCTAssertEqual(created.object["params"] as? Int, 8 + 8 + 8)
        let id = try XCTUnwrap(created.object["id"] as? String)

        // Weights named as PyTorch would name the same modules in an nn.ModuleDict.
        let network = try Network(spec: try GraphSpec.decode(spec), seed: 5)
        let file = network.exportWeights().encoded()
        let put = try client.request(
            "PUT", "/v1/models/\(id)/weights", body: file, contentType: "application/octet-stream")
        XCTAssertEqual(put.status, 200, put.text)
        let download = try client.request("GET", "/v1/models/\(id)/weights")
        XCTAssertEqual(download.status, 200)
        let stored = try SafetensorsFile(bytes: download.body)
        XCTAssertEqual(
            Set(stored.tensors.map(\.name)),
            [
                "layers.left.weight", "layers.left.bias", "layers.right.weight", "layers.right.bias",
                "layers.out.weight", "layers.out.bias",
            ])
        let prediction = try client.json("POST", "/v1/models/\(id)/predict", ["inputs": [[1, 2, 3]]])
        XCTAssertEqual(prediction.status, 200, prediction.text)
        let expected = network.predict(Tensor(shape: [1, 3], scalars: [1, 2, 3]), loss: nil).scalars[0]
        let answered = try XCTUnwrap((prediction.object["outputs"] as? [[Double]])?.first?.first)
        XCTAssertEqual(answered, Double(expected), accuracy: 1e-5)

        var wrong = network.exportWeights()
        wrong.tensors[0].name = "layers.0.weight"
        let refused = try client.request(
            "PUT", "/v1/models/\(id)/weights", body: wrong.encoded(), contentType: "application/octet-stream")
        XCTAssertEqual(refused.status, 422, refused.text)
        XCTAssert(refused.text.contains("layers.left.weight"), refused.text)
    }
}

/// Decodes a spec written as a JSON object literal.
enum GraphSpec {
    static func decode(_ object: [String: Any]) throws -> ModelSpec {
        try JSONDecoder().decode(ModelSpec.self, from: JSONSerialization.data(withJSONObject: object))
    }
}
