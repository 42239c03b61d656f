import Foundation
import NNCore
import XCTest

/// Self-describing weights files: the download carries the spec and loss, and such a file
/// creates a model with its weights in one request; broken files store nothing.
final class WeightsFileRouteTests: XCTestCase {
    private var harness: ServiceHarness!
    private var client: TestClient { harness.client }

    override func setUpWithError() throws { harness = try ServiceHarness() }
    override func tearDown() { harness.shutdown() }

    private let spec: [String: Any] = [
        "input_shape": [4, 3],
        "layers": [
            ["type": "lstm", "units": 5, "return_sequences": true], ["type": "batchnorm"],
            ["type": "rnn", "units": 3], ["type": "dense", "units": 2, "activation": "softmax"],
        ],
    ]

    private func upload(_ bytes: [UInt8]) throws -> TestClient.Response {
        try client.request("POST", "/v1/models", body: bytes, contentType: "application/octet-stream")
    }

    private func file(loss: String? = "cross_entropy", seed: UInt64 = 3) throws -> SafetensorsFile {
        let modelSpec = try JSONDecoder().decode(ModelSpec.self, from: JSONSerialization.data(withJSONObject: spec))
        let specJSON = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        var metadata = ["nnserve.spec": specJSON]
        if let loss { metadata["nnserve.loss"] = loss }
        return try Network(spec: modelSpec, seed: seed).exportWeights(metadata: metadata)
    }

    private let inputs: [[[Double]]] = [[[0.1, -0.2, 0.3], [0.5, 0.1, -1], [0, 0, 1], [2, -1, 0.5]]]

    func testDownloadDescribesItselfAndCreatesTheSameModelInOneRequest() throws {
        let created = try upload(try file().encoded())
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(created.object["id"] as? String)
        XCTAssertEqual(created.object["loss"] as? String, "cross_entropy")
        XCTAssertEqual(created.object["status"] as? String, "ready")
        let first = try client.json("POST", "/v1/models/\(id)/predict", ["inputs": inputs])
        let probabilities = try XCTUnwrap((first.object["outputs"] as? [[Double]])?.first)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-6, "the loss came from the file")

        let download = try client.request("GET", "/v1/models/\(id)/weights")
        let downloaded = try SafetensorsFile(bytes: download.body)
        XCTAssertEqual(downloaded.metadata["nnserve.loss"], "cross_entropy")
        let described = try XCTUnwrap(downloaded.metadata["nnserve.spec"])
        let specObject = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(described.utf8)) as? [String: Any])
        XCTAssertEqual((specObject["layers"] as? [Any])?.count, 4)
        XCTAssertEqual(downloaded.integerTensors.map(\.name), ["layers.1.num_batches_tracked"])
        XCTAssertNotNil(downloaded.tensor(named: "layers.0.weight_ih_l0"))

        let again = try upload(download.body)
        XCTAssertEqual(again.status, 201, again.text)
        let copy = try XCTUnwrap(again.object["id"] as? String)
        XCTAssertNotEqual(copy, id)
        let second = try client.json("POST", "/v1/models/\(copy)/predict", ["inputs": inputs])
        XCTAssertEqual(second.object["outputs"] as? [[Double]], first.object["outputs"] as? [[Double]])
    }

    func testBrokenFilesAreRejectedWithAPathAndStoreNothing() throws {
        let good = try file().encoded()
        var noSpec = try file()
        noSpec.metadata.removeValue(forKey: "nnserve.spec")
        var badJSON = try file()
        badJSON.metadata["nnserve.spec"] = "{\"input_shape\": [4, 3], "
        var badLayer = try file()
        badLayer.metadata["nnserve.spec"] = #"{"input_shape": [4, 3], "layers": [{"type": "dense", "units": 0}]}"#
        var otherModel = try file()
        otherModel.metadata["nnserve.spec"] = #"{"input_shape": [4, 3], "layers": [{"type": "lstm", "units": 6}]}"#
        var badLoss = try file()
        badLoss.metadata["nnserve.loss"] = "hinge"
        var huge = [UInt8](repeating: 0xFF, count: 8)
        huge += Array(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        var declared = Array(good[0..<8])
        let text = #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#
        declared = withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { Array($0) } + Array(text.utf8)
        declared += [UInt8](repeating: 0, count: 16)
        let cases: [(String, [UInt8], String?)] = [
            ("empty body", [], nil),
            ("truncated header", Array(good[0..<40]), nil),
            ("header length overflow", huge, nil),
            ("huge declared shape", declared, nil),
            ("no spec", noSpec.encoded(), "__metadata__.nnserve.spec"),
            ("spec not JSON", badJSON.encoded(), "__metadata__.nnserve.spec"),
            ("invalid layer", badLayer.encoded(), "__metadata__.nnserve.spec.layers[0].units"),
            ("tensors of another model", otherModel.encoded(), "tensors"),
            ("unknown loss", badLoss.encoded(), "__metadata__.nnserve.loss"),
        ]
        let before = try harness.counts()
        for (name, bytes, path) in cases {
            let response = try upload(bytes)
            XCTAssertTrue((400..<500).contains(response.status), "\(name): \(response.status) \(response.text)")
            XCTAssertNotNil(response.errorCode, name)
            if let path { XCTAssertEqual(response.errorPath, path, "\(name): \(response.text)") }
        }
        XCTAssertEqual(try harness.counts(), before, "a rejected upload stores nothing")
    }
}
