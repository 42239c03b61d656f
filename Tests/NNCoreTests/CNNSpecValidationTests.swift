import Foundation
import NNCore
import XCTest

/// The shape checks of conv and pooling specs name the layer and field at fault.
final class CNNSpecValidationTests: XCTestCase {
    private func path(_ json: String) -> String? {
        do {
            let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
            _ = try spec.validate()
            return nil
        } catch {
            return (error as? SpecError)?.path
        }
    }

    func testErrorsNameTheirPath() {
        let conv = #"{"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"}"#
        // 6x6 → conv 3x3 valid → 4x4 → pool 2 → 2x2 → pool 3 is too large.
        XCTAssertEqual(
            path(
                #"{"input_shape": [6, 6, 1], "layers": [\#(conv), {"type": "maxpool2d"}, {"type": "avgpool2d", "pool_size": 3}]}"#
            ),
            "layers[2].pool_size")
        XCTAssertEqual(
            path(#"{"input_shape": [2, 2, 1], "layers": [{"type": "conv2d", "filters": 1, "kernel_size": [3, 1]}]}"#),
            "layers[0].kernel_size")
        XCTAssertEqual(
            path(#"{"input_shape": [6, 6, 1], "layers": [\#(conv), {"type": "dense", "units": 10}]}"#),
            "layers[1].type")
        XCTAssertEqual(
            path(
                #"{"input_shape": [6, 6, 1], "layers": [\#(conv), {"type": "flatten"}, {"type": "dropout", "rate": 1.5}]}"#
            ),
            "layers[2].rate")
        XCTAssertEqual(path(#"{"input_shape": [6], "layers": [{"type": "maxpool2d"}]}"#), "layers[0].type")
        XCTAssertEqual(
            path(
                #"{"input_shape": [6, 6, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "full"}]}"#
            ),
            "layers[0].padding")
        XCTAssertEqual(
            path(#"{"input_shape": [6, 6, 1], "layers": [{"type": "batchnorm", "momentum": 1}]}"#),
            "layers[0].momentum")
        // Values inside the range as Doubles but not as the Floats the layer computes with.
        XCTAssertEqual(
            path(#"{"input_shape": [6, 6, 1], "layers": [{"type": "batchnorm", "momentum": 0.99999999999}]}"#),
            "layers[0].momentum")
        XCTAssertEqual(
            path(#"{"input_shape": [6, 6, 1], "layers": [{"type": "batchnorm", "epsilon": 1e-60}]}"#),
            "layers[0].epsilon")
        // Same padding keeps a kernel larger than the input legal.
        XCTAssertNil(
            path(
                #"{"input_shape": [2, 2, 1], "layers": [{"type": "conv2d", "filters": 1, "kernel_size": 3, "padding": "same"}]}"#
            ))
    }

    func testSummaryShapesAndParameterCountsOfW4() throws {
        let spec = ModelSpec(
            inputShape: [32, 32, 3],
            layers: [
                .conv2d(filters: 32, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .conv2d(filters: 64, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dropout(rate: 0.5), .dense(units: 10, activation: .linear, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 0)
        XCTAssertEqual(network.summary.map(\.outputShape)[7], [8, 8, 64])
        // PyTorch counts 896 + 64 + 18,496 + 128 + 40,970 trainable parameters.
        XCTAssertEqual(network.parameterCount, 60_554)
        XCTAssertEqual(network.trainableParameters.reduce(0) { $0 + $1.value.count }, 60_554)
        XCTAssertEqual(
            network.namedParameters.map(\.name).filter { $0.hasPrefix("layers.1.") },
            ["layers.1.weight", "layers.1.bias", "layers.1.running_mean", "layers.1.running_var"])
    }
}
