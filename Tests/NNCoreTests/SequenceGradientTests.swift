import Foundation
import NNCore
import XCTest

/// Central differences against the backward passes of the token and sequence layers, and of
/// cross-entropy and MSE over per-step outputs.
final class SequenceGradientTests: XCTestCase {
    func testConv1DInEveryPaddingAndStride() throws {
        for (padding, stride, kernel) in [("valid", 1, 3), ("valid", 2, 2), ("same", 1, 4), ("same", 2, 3)] {
            let spec = try ModelSpec(
                json: """
                    {"input_shape": [9, 3], "layers": [{"type": "conv1d", "filters": 4, "kernel_size": \(kernel),
                     "stride": \(stride), "padding": "\(padding)", "activation": "tanh"}]}
                    """)
            XCTAssertGreaterThan(try GradientCheck.check(spec, batch: 3), 0)
        }
    }

    func testPoolsAndGlobalAveragePool() throws {
        for layers in [
            #"[{"type": "maxpool1d", "pool_size": 3, "stride": 2}]"#, #"[{"type": "avgpool1d", "stride": 1}]"#,
            #"[{"type": "global_avgpool"}]"#,
        ] {
            try GradientCheck.check(ModelSpec(json: #"{"input_shape": [8, 3], "layers": \#(layers)}"#), batch: 2)
        }
        try GradientCheck.check(
            ModelSpec(json: #"{"input_shape": [3, 4, 2], "layers": [{"type": "global_avgpool"}]}"#), batch: 2)
    }

    func testPerStepDenseAndSoftmax() throws {
        try GradientCheck.check(
            ModelSpec(
                json: """
                    {"input_shape": [5, 3], "layers": [{"type": "dense", "units": 4, "activation": "sigmoid"},
                     {"type": "dense", "units": 3, "activation": "softmax"}]}
                    """), batch: 2)
    }

    /// Token ids have no gradient, so only the table is perturbed; repeated tokens add up.
    func testEmbeddingTableGradient() throws {
        let layer = EmbeddingLayer(
            inputDim: 5, outputDim: 3, weight: GradientCheck.randomTensor([5, 3], seed: 1))
        let tokens = Tensor(shape: [2, 4], scalars: [0, 3, 3, 1, 4, 3, 0, 0])
        let probe = GradientCheck.randomTensor([2, 4, 3], seed: 2)
        func loss() -> Double {
            var context = PassContext(training: true)
            let y = layer.forward(tokens, &context)
            return zip(y.scalars, probe.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var context = PassContext(training: true)
        _ = layer.forward(tokens, &context)
        layer.weight.gradient.zero()
        XCTAssertEqual(layer.backward(probe, &context).count, 0)
        let epsilon: Float = 1e-2
        for i in 0..<layer.weight.value.count {
            layer.weight.value.scalars[i] += epsilon
            let plus = loss()
            layer.weight.value.scalars[i] -= 2 * epsilon
            let minus = loss()
            layer.weight.value.scalars[i] += epsilon
            GradientCheck.compare(
                numeric: (plus - minus) / Double(2 * epsilon), analytic: Double(layer.weight.gradient.scalars[i]),
                tolerance: 1e-2, what: "weight[\(i)]", file: #filePath, line: #line)
        }
        // Row 2 is never looked up: its gradient is exactly zero.
        XCTAssertEqual(Array(layer.weight.gradient.scalars[6..<9]), [0, 0, 0])
    }

    func testPerStepLossGradients() {
        var logits = GradientCheck.randomTensor([2, 3, 4], seed: 3, scale: 3)
        let classes: [Int32] = [0, 3, 1, 2, 2, 0]
        let values = GradientCheck.randomTensor([2, 3, 4], seed: 4)
        for (loss, targets) in [(LossFunction.crossEntropy, TargetBatch.classes(classes)), (.mse, .values(values))] {
            let analytic = loss.compute(outputs: logits, targets: targets).gradient
            XCTAssertEqual(analytic.shape, [2, 3, 4])
            let epsilon: Float = 1e-3
            for i in 0..<logits.count {
                let saved = logits.scalars[i]
                logits.scalars[i] = saved + epsilon
                let plus = loss.compute(outputs: logits, targets: targets).loss
                logits.scalars[i] = saved - epsilon
                let minus = loss.compute(outputs: logits, targets: targets).loss
                logits.scalars[i] = saved
                GradientCheck.compare(
                    numeric: (plus - minus) / Double(2 * epsilon), analytic: Double(analytic.scalars[i]),
                    tolerance: 1e-2, what: "\(loss) [\(i)]", file: #filePath, line: #line)
            }
        }
    }

    /// Outputs and every gradient are bit-identical for 1 and 2 threads.
    func testThreadInvariance() throws {
        try GradientCheck.assertThreadInvariant(
            ModelSpec(
                json: """
                    {"input_shape": [12, 5], "layers": [
                     {"type": "conv1d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
                     {"type": "maxpool1d"}, {"type": "dense", "units": 4}, {"type": "avgpool1d", "pool_size": 3},
                     {"type": "global_avgpool"}, {"type": "dense", "units": 2}]}
                    """), batch: 9)
    }
}

extension ModelSpec {
    init(json: String) throws {
        self = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
    }
}
