import NNCore
import XCTest

/// Gradient checks through time for the simple RNN, and thread-count invariance.
final class RNNLayerTests: XCTestCase {
    func testGradientsLastStepTanh() throws {
        let spec = ModelSpec(inputShape: [6, 4], layers: [.rnn(units: 5, activation: .tanh, returnSequences: false)])
        try GradientCheck.check(spec, batch: 3)
    }

    func testGradientsAllStepsTanh() throws {
        let spec = ModelSpec(inputShape: [7, 3], layers: [.rnn(units: 9, activation: .tanh, returnSequences: true)])
        try GradientCheck.check(spec, batch: 2)
    }

    func testGradientsRelu() throws {
        // Small steps so that no pre-activation crosses relu's kink between the two probes.
        let spec = ModelSpec(inputShape: [5, 3], layers: [.rnn(units: 8, activation: .relu, returnSequences: true)])
        try GradientCheck.check(spec, batch: 2, epsilon: 1e-3, tolerance: 5e-2)
    }

    /// Two stacked layers and a dense head; a batch of 34 rows runs as two row ranges.
    func testGradientsStackedWithDenseHead() throws {
        let spec = ModelSpec(
            inputShape: [6, 3],
            layers: [
                .rnn(units: 7, activation: .tanh, returnSequences: true),
                .rnn(units: 5, activation: .tanh, returnSequences: false),
                .dense(units: 2, activation: .linear, useBias: true),
            ])
        try GradientCheck.check(spec, batch: 34)
    }

    func testParametersFollowPyTorch() throws {
        let network = try Network(
            spec: ModelSpec(inputShape: [5, 3], layers: [.rnn(units: 4, activation: .tanh, returnSequences: false)]),
            seed: 0)
        let named = network.namedParameters
        XCTAssertEqual(
            named.map(\.name),
            ["layers.0.weight_ih_l0", "layers.0.weight_hh_l0", "layers.0.bias_ih_l0", "layers.0.bias_hh_l0"])
        XCTAssertEqual(named.map(\.parameter.value.shape), [[4, 3], [4, 4], [4], [4]])
        XCTAssertEqual(named.reduce(0) { $0 + $1.parameter.value.count }, network.parameterCount)
        for (_, parameter) in named {
            XCTAssertTrue(parameter.value.scalars.allSatisfy { abs($0) <= 0.5 }, "U(±1/√4)")
        }
        let again = try Network(spec: network.spec, seed: 0)
        XCTAssertEqual(again.namedParameters.map(\.parameter.value), named.map(\.parameter.value))
    }

    /// An empty batch (a prediction request without rows) gives an empty output.
    func testEmptyBatch() throws {
        for layer: LayerSpec in [
            .rnn(units: 3, activation: .tanh, returnSequences: true), .lstm(units: 3, returnSequences: false),
        ] {
            let network = try Network(spec: ModelSpec(inputShape: [4, 2], layers: [layer]), seed: 0)
            let output = network.predict(Tensor(zeros: [0, 4, 2]), loss: nil)
            XCTAssertEqual(output.count, 0)
        }
    }

    func testOneAndTwoThreadsAgreeBitForBit() throws {
        let spec = ModelSpec(inputShape: [9, 5], layers: [.rnn(units: 12, activation: .tanh, returnSequences: true)])
        try GradientCheck.assertThreadInvariant(spec, batch: 40)
    }
}
