import Foundation
import NNCore
import XCTest

/// The token and sequence layers against PyTorch, from `Fixtures/sequence_fixtures.json` (made
/// by `scripts/fixtures/make_sequence_fixtures.py`): each case is a spec-built network with
/// PyTorch's weights loaded by name. Outputs agree within 1e-5 and gradients within 1e-4
/// (relative to values of magnitude above 1); the probe loss is Σ r ⊙ y, so dy = r.
final class SequenceFixtureTests: XCTestCase {
    struct Model: Decodable {
        var name: String, spec: ModelSpec, input: [Float], parameters: [String: [Float]]
        var output: [Float], output_shape: [Int], r: [Float], gradients: [String: [Float]]
        var grad_input: [Float]?
    }
    struct CrossEntropy: Decodable {
        var logits_shape: [Int], logits: [Float], classes: [Int32], loss: Double, gradient: [Float]
    }
    struct MSE: Decodable {
        var shape: [Int], outputs: [Float], targets: [Float], loss: Double, gradient: [Float]
    }
    struct Losses: Decodable {
        var cross_entropy: CrossEntropy, mse: MSE
    }
    struct Fixtures: Decodable {
        var models: [Model], losses: Losses
    }

    private static let fixtures: Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sequence_fixtures.json")
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ tolerance: Float, _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, "\(label): worst relative difference \(worst)", file: file, line: line)
    }

    func testEveryModelMatchesPyTorch() throws {
        XCTAssertEqual(Self.fixtures.models.count, 10)
        for f in Self.fixtures.models {
            for threads in [1, 2] {
                let network = try Network(spec: f.spec, seed: 0)
                let named = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.name, $0.parameter) })
                XCTAssertEqual(Set(named.keys), Set(f.parameters.keys), f.name)
                // Parameter counts as PyTorch counts them.
                XCTAssertEqual(network.parameterCount, f.parameters.values.reduce(0) { $0 + $1.count }, f.name)
                for (name, values) in f.parameters {
                    let parameter = try XCTUnwrap(named[name], f.name)
                    parameter.value = Tensor(shape: parameter.value.shape, scalars: values)
                }
                network.layers.first?.needsInputGradient = true
                let n = f.input.count / f.spec.inputShape.reduce(1, *)
                let input = Tensor(shape: [n] + f.spec.inputShape, scalars: f.input)
                var context = PassContext(training: true, threads: threads)
                let y = network.forward(input, &context)
                XCTAssertEqual(y.shape, f.output_shape, f.name)
                XCTAssertEqual(Array(y.shape.dropFirst()), try f.spec.outputShape(), f.name)
                assertClose(y.scalars, f.output, 1e-5, "\(f.name) output")
                network.zeroGradients()
                var gradient = Tensor(shape: y.shape, scalars: f.r)
                for layer in network.layers.reversed() { gradient = layer.backward(gradient, &context) }
                for (name, expected) in f.gradients {
                    assertClose(try XCTUnwrap(named[name]).gradient.scalars, expected, 1e-4, "\(f.name) \(name)")
                }
                if let expected = f.grad_input { assertClose(gradient.scalars, expected, 1e-4, "\(f.name) input") }
                // Inference (the fused plan) gives the same outputs.
                assertClose(network.predict(input, loss: nil, threads: threads).scalars, f.output, 1e-5, f.name)
            }
        }
    }

    func testPerStepCrossEntropyMatchesPyTorch() {
        let f = Self.fixtures.losses.cross_entropy
        let result = LossFunction.crossEntropy.compute(
            outputs: Tensor(shape: f.logits_shape, scalars: f.logits), targets: .classes(f.classes))
        XCTAssertEqual(result.loss, f.loss, accuracy: 1e-5)
        XCTAssertEqual(result.gradient.shape, f.logits_shape)
        assertClose(result.gradient.scalars, f.gradient, 1e-5, "cross-entropy gradient")
        XCTAssertEqual(result.judged, f.logits_shape[0] * f.logits_shape[1], "accuracy counts steps")
    }

    func testPerStepMeanSquaredErrorMatchesPyTorch() {
        let f = Self.fixtures.losses.mse
        let result = LossFunction.mse.compute(
            outputs: Tensor(shape: f.shape, scalars: f.outputs),
            targets: .values(Tensor(shape: f.shape, scalars: f.targets)))
        XCTAssertEqual(result.loss, f.loss, accuracy: 1e-5)
        assertClose(result.gradient.scalars, f.gradient, 1e-5, "mse gradient")
    }
}
