import Foundation
import NNCore
import XCTest

/// Forward outputs and gradients against PyTorch's, from `Fixtures/cnn_fixtures.json`
/// (made by `scripts/fixtures/make_cnn_fixtures.py`). The loss is Σ r ⊙ y, so dy = r.
/// Tolerance: 1e-4, relative to values of magnitude above 1.
final class CNNFixtureTests: XCTestCase {
    struct Conv: Decodable {
        var input_shape: [Int], filters: Int, kernel: [Int], stride: [Int], padding: String
        var input: [Float], weight: [Float], bias: [Float], output_shape: [Int], output: [Float], r: [Float]
        var grad_input: [Float], grad_weight: [Float], grad_bias: [Float]
    }
    struct Pool: Decodable {
        var kind: String, input_shape: [Int], pool: [Int], stride: [Int], input: [Float]
        var output_shape: [Int], output: [Float], r: [Float], grad_input: [Float]
    }
    struct BatchNorm: Decodable {
        var input_shape: [Int], momentum: Float, epsilon: Float, input: [Float], weight: [Float], bias: [Float]
        var output: [Float], r: [Float], grad_input: [Float], grad_weight: [Float], grad_bias: [Float]
        var running_mean: [Float], running_var: [Float], eval_output: [Float]
    }
    struct Model: Decodable {
        var spec: ModelSpec, input: [Float], parameters: [String: [Float]], output: [Float], r: [Float]
        var gradients: [String: [Float]], running_mean: [Float], running_var: [Float]
    }
    struct Fixtures: Decodable {
        var conv: [Conv], pool: [Pool], batchnorm: [BatchNorm], model: Model
    }

    private static let fixtures: Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cnn_fixtures.json")
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, "\(label): worst relative difference \(worst)", file: file, line: line)
    }

    func testConvolutionMatchesPyTorch() {
        for (index, f) in Self.fixtures.conv.enumerated() {
            let g = ConvGeometry(
                height: f.input_shape[1], width: f.input_shape[2], channels: f.input_shape[3],
                filters: f.filters, kernel: IntPair(f.kernel[0], f.kernel[1]),
                stride: IntPair(f.stride[0], f.stride[1]), padding: LayerSpec.Padding(rawValue: f.padding)!)
            let conv = Conv2DLayer(
                geometry: g, weight: Tensor(shape: g.weightShape, scalars: f.weight),
                bias: Tensor(shape: [f.filters], scalars: f.bias))
            var context = PassContext(training: true)
            let y = conv.forward(Tensor(shape: f.input_shape, scalars: f.input), &context)
            XCTAssertEqual(y.shape, f.output_shape, "conv[\(index)]")
            assertClose(y.scalars, f.output, "conv[\(index)] output")
            let dx = conv.backward(Tensor(shape: f.output_shape, scalars: f.r), &context)
            assertClose(dx.scalars, f.grad_input, "conv[\(index)] grad_input")
            assertClose(conv.weight.gradient.scalars, f.grad_weight, "conv[\(index)] grad_weight")
            assertClose(conv.bias.gradient.scalars, f.grad_bias, "conv[\(index)] grad_bias")
        }
    }

    func testPoolingMatchesPyTorch() {
        for (index, f) in Self.fixtures.pool.enumerated() {
            let pool = IntPair(f.pool[0], f.pool[1]), stride = IntPair(f.stride[0], f.stride[1])
            let layer: Layer =
                f.kind == "max"
                ? MaxPool2DLayer(pool: pool, stride: stride) : AvgPool2DLayer(pool: pool, stride: stride)
            var context = PassContext(training: true)
            let y = layer.forward(Tensor(shape: f.input_shape, scalars: f.input), &context)
            XCTAssertEqual(y.shape, f.output_shape)
            assertClose(y.scalars, f.output, "pool[\(index)] \(f.kind) output")
            let dx = layer.backward(Tensor(shape: f.output_shape, scalars: f.r), &context)
            assertClose(dx.scalars, f.grad_input, "pool[\(index)] \(f.kind) grad_input")
        }
    }

    func testBatchNormMatchesPyTorchInBothModes() {
        for (index, f) in Self.fixtures.batchnorm.enumerated() {
            let features = f.input_shape.last!
            let bn = BatchNormLayer(features: features, momentum: f.momentum, epsilon: f.epsilon)
            bn.weight.value = Tensor(shape: [features], scalars: f.weight)
            bn.bias.value = Tensor(shape: [features], scalars: f.bias)
            let x = Tensor(shape: f.input_shape, scalars: f.input)
            var context = PassContext(training: true)
            assertClose(bn.forward(x, &context).scalars, f.output, "bn[\(index)] output")
            let dx = bn.backward(Tensor(shape: f.input_shape, scalars: f.r), &context)
            assertClose(dx.scalars, f.grad_input, "bn[\(index)] grad_input")
            assertClose(bn.weight.gradient.scalars, f.grad_weight, "bn[\(index)] grad_weight")
            assertClose(bn.bias.gradient.scalars, f.grad_bias, "bn[\(index)] grad_bias")
            assertClose(bn.runningMean.value.scalars, f.running_mean, "bn[\(index)] running_mean")
            assertClose(bn.runningVar.value.scalars, f.running_var, "bn[\(index)] running_var")
            var inference = PassContext(training: false)
            assertClose(bn.forward(x, &inference).scalars, f.eval_output, "bn[\(index)] eval output")
        }
    }

    /// A spec-built CNN (conv relu, batchnorm, maxpool, flatten, dense) with PyTorch's weights
    /// loaded by name: output, every gradient and the running statistics after one step.
    func testSpecBuiltModelMatchesPyTorch() throws {
        let f = Self.fixtures.model
        let network = try Network(spec: f.spec, seed: 0)
        let named = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.name, $0.parameter) })
        XCTAssertEqual(Set(named.keys), Set(f.parameters.keys))
        for (name, values) in f.parameters {
            let parameter = try XCTUnwrap(named[name])
            parameter.value = Tensor(shape: parameter.value.shape, scalars: values)
        }
        let n = f.input.count / f.spec.inputShape.reduce(1, *)
        var context = PassContext(training: true)
        let y = network.forward(Tensor(shape: [n] + f.spec.inputShape, scalars: f.input), &context)
        assertClose(y.scalars, f.output, "model output")
        network.zeroGradients()
        network.backward(Tensor(shape: y.shape, scalars: f.r), &context)
        for (name, expected) in f.gradients {
            assertClose(try XCTUnwrap(named[name]).gradient.scalars, expected, "model \(name) gradient")
        }
        assertClose(named["layers.1.running_mean"]!.value.scalars, f.running_mean, "model running_mean")
        assertClose(named["layers.1.running_var"]!.value.scalars, f.running_var, "model running_var")
    }
}
