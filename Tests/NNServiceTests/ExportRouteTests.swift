import Foundation
import NNCore
import XCTest

/// `GET /v1/models/{id}/export`: an ONNX file for a model with weights; clear refusals
/// otherwise. (scripts/interchange-tests.sh runs the exports in onnxruntime.)
final class ExportRouteTests: XCTestCase {
    private var harness: ServiceHarness!
    private var client: TestClient { harness.client }

    override func setUpWithError() throws { harness = try ServiceHarness() }
    override func tearDown() { harness.shutdown() }

    private let spec: [String: Any] = [
        "input_shape": [6, 6, 1],
        "layers": [
            ["type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "activation": "relu"],
            ["type": "maxpool2d"], ["type": "flatten"], ["type": "dense", "units": 3],
        ],
    ]

    func testExportIsAnOnnxModelWithTheWeightsInside() throws {
        let id = try XCTUnwrap(client.json("POST", "/v1/models", spec).object["id"] as? String)
        let untrained = try client.request("GET", "/v1/models/\(id)/export?format=onnx")
        XCTAssertEqual(untrained.status, 409, untrained.text)
        let modelSpec = try JSONDecoder().decode(ModelSpec.self, from: JSONSerialization.data(withJSONObject: spec))
        let weights = try Network(spec: modelSpec, seed: 9).exportWeights()
        let put = try client.request(
            "PUT", "/v1/models/\(id)/weights", body: weights.encoded(), contentType: "application/octet-stream")
        XCTAssertEqual(put.status, 200, put.text)

        let export = try client.request("GET", "/v1/models/\(id)/export?format=onnx")
        XCTAssertEqual(export.status, 200, export.text)
        XCTAssertEqual(export.headers["content-type"], "application/octet-stream")
        XCTAssertEqual(export.headers["content-disposition"], "attachment; filename=\"\(id).onnx\"")
        XCTAssertEqual(Array(export.body.prefix(2)), [0x08, 0x08], "ModelProto starts with ir_version 8")
        let weightBytes = weights.tensors.reduce(0) { $0 + $1.tensor.count * 4 }
        XCTAssertGreaterThan(export.body.count, weightBytes, "every weight is inside")
        XCTAssertLessThan(export.body.count, weightBytes + 4096)
        for name in ["Conv", "MaxPool", "Flatten", "Gemm", "layers.3.weight", "batch"] {
            XCTAssertNotNil(export.text.range(of: name), name)
        }
        XCTAssertEqual(try client.request("GET", "/v1/models/\(id)/export").body, export.body, "onnx is the default")
    }

    func testRefusalsNameWhatIsWrong() throws {
        let id = try XCTUnwrap(client.json("POST", "/v1/models", spec).object["id"] as? String)
        let format = try client.request("GET", "/v1/models/\(id)/export?format=tflite")
        XCTAssertEqual(format.status, 400)
        XCTAssertEqual(format.errorPath, "format")
        let epoch = try client.request("GET", "/v1/models/\(id)/export?format=onnx&epoch=3")
        XCTAssertEqual(epoch.status, 404)
        let badEpoch = try client.request("GET", "/v1/models/\(id)/export?format=onnx&epoch=-1")
        XCTAssertEqual(badEpoch.status, 400)
        XCTAssertEqual(badEpoch.errorPath, "epoch")
        let huge = try client.request("GET", "/v1/models/\(id)/export?format=onnx&epoch=99999999999999999999999")
        XCTAssertEqual(huge.status, 400)
        XCTAssertEqual(try client.request("GET", "/v1/models/nope/export?format=onnx").status, 404)
    }
}
