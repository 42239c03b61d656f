import Foundation
import NNCore
import XCTest

/// Outputs and gradients of the rnn and lstm layers against PyTorch's on the same weights and
/// inputs (`Fixtures/recurrent.json`, written by `scripts/fixtures/make_rnn_fixtures.py`).
/// Tolerance 1e-4, absolute for values up to 1 and relative above.
final class RecurrentFixtureTests: XCTestCase {
    struct Fixture: Decodable { var cases: [Case] }
    struct Case: Decodable {
        var name, type, activation: String
        var batch, steps, features, units: Int
        var input: [Float]
        var weights: [String: [Float]]
        var results: [Result]
    }
    struct Result: Decodable {
        var return_sequences: Bool
        var output, probe, grad_input: [Float]
        var grads: [String: [Float]]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/recurrent.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, tolerance: Float = 1e-4) {
        XCTAssertEqual(actual.count, expected.count, "\(what): size")
        var worst: Float = 0
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let error = abs(a - e) / max(1, abs(e))
            worst = max(worst, error)
            if error > tolerance {
                XCTFail("\(what)[\(i)] = \(a), PyTorch \(e)")
                return
            }
        }
        XCTAssertFalse(actual.isEmpty, what)
    }

    private func run(_ name: String) throws {
        let item = try XCTUnwrap(Self.fixture.cases.first { $0.name == name })
        for result in item.results {
            let layer: LayerSpec =
                item.type == "lstm"
                ? .lstm(units: item.units, returnSequences: result.return_sequences)
                : .rnn(
                    units: item.units, activation: item.activation == "relu" ? .relu : .tanh,
                    returnSequences: result.return_sequences)
            let spec = ModelSpec(inputShape: [item.steps, item.features], layers: [layer])
            let network = try Network(spec: spec, seed: 0)
            for (fullName, parameter) in network.namedParameters {
                let weights = try XCTUnwrap(item.weights[parameter.name], fullName)
                parameter.value = Tensor(shape: parameter.value.shape, scalars: weights)
            }
            let input = Tensor(shape: [item.batch, item.steps, item.features], scalars: item.input)
            let label = "\(name) return_sequences=\(result.return_sequences)"
            let output = GradientCheck.output(network, input)
            XCTAssertEqual(
                output.shape,
                result.return_sequences ? [item.batch, item.steps, item.units] : [item.batch, item.units])
            assertClose(output.scalars, result.output, "\(label) output")
            let probe = Tensor(shape: output.shape, scalars: result.probe)
            let gradInput = GradientCheck.analytic(network, input, probe: probe)
            assertClose(gradInput.scalars, result.grad_input, "\(label) input gradient")
            for (_, parameter) in network.namedParameters {
                let key = parameter.name
                assertClose(parameter.gradient.scalars, try XCTUnwrap(result.grads[key]), "\(label) \(key) gradient")
            }
        }
    }

    func testRNNTanhMatchesPyTorch() throws { try run("rnn_tanh") }
    func testRNNReluMatchesPyTorch() throws { try run("rnn_relu") }
    func testLSTMMatchesPyTorch() throws { try run("lstm") }
}
