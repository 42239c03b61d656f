import NNCore
import XCTest

/// Gradient checks through time for the LSTM, and thread-count invariance.
final class LSTMLayerTests: XCTestCase {
    func testGradientsLastStep() throws {
        let spec = ModelSpec(inputShape: [6, 4], layers: [.lstm(units: 5, returnSequences: false)])
        try GradientCheck.check(spec, batch: 3)
    }

    func testGradientsAllSteps() throws {
        let spec = ModelSpec(inputShape: [7, 3], layers: [.lstm(units: 10, returnSequences: true)])
        try GradientCheck.check(spec, batch: 2)
    }

    /// LSTM into RNN into a dense head; a batch of 33 rows runs as two row ranges.
    func testGradientsStackedWithDenseHead() throws {
        let spec = ModelSpec(
            inputShape: [5, 3],
            layers: [
                .lstm(units: 6, returnSequences: true),
                .lstm(units: 4, returnSequences: false),
                .dense(units: 3, activation: .linear, useBias: true),
            ])
        try GradientCheck.check(spec, batch: 33)
    }

    func testStackedRNNThenLSTM() throws {
        let spec = ModelSpec(
            inputShape: [5, 2],
            layers: [
                .rnn(units: 6, activation: .tanh, returnSequences: true),
                .lstm(units: 8, returnSequences: true),
            ])
        try GradientCheck.check(spec, batch: 2)
    }

    func testParametersFollowPyTorch() throws {
        let spec = ModelSpec(inputShape: [5, 3], layers: [.lstm(units: 4, returnSequences: true)])
        let network = try Network(spec: spec, seed: 0)
        let named = network.namedParameters
        XCTAssertEqual(
            named.map(\.name),
            ["layers.0.weight_ih_l0", "layers.0.weight_hh_l0", "layers.0.bias_ih_l0", "layers.0.bias_hh_l0"])
        XCTAssertEqual(named.map(\.parameter.value.shape), [[16, 3], [16, 4], [16], [16]])
        XCTAssertEqual(network.parameterCount, 4 * 4 * (3 + 4 + 2))
        XCTAssertEqual(named.reduce(0) { $0 + $1.parameter.value.count }, network.parameterCount)
        XCTAssertEqual(try spec.outputShape(), [5, 4])
    }

    func testOneAndTwoThreadsAgreeBitForBit() throws {
        let spec = ModelSpec(inputShape: [8, 5], layers: [.lstm(units: 11, returnSequences: false)])
        try GradientCheck.assertThreadInvariant(spec, batch: 48)
    }
}
