import Foundation
import NNCore
import XCTest

/// Spec errors around recurrent layers name the field at fault (`layers[i].field`), so the
/// service can answer 422 with a path; none of them reaches a precondition.
final class RecurrentSpecTests: XCTestCase {
    private func decode(_ json: String) throws -> ModelSpec {
        try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
    }

    private func assertSpecError(
        _ body: () throws -> Void, path: String, code: String? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? SpecError else {
                return XCTFail("not a SpecError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.path, path, error.message, file: file, line: line)
            if let code { XCTAssertEqual(error.code, code, file: file, line: line) }
            XCTAssertFalse(error.message.isEmpty, file: file, line: line)
        }
    }

    func testRecurrentLayerNeedsStepsAndFeatures() {
        let flat = ModelSpec(inputShape: [12], layers: [.rnn(units: 4, activation: .tanh, returnSequences: false)])
        assertSpecError({ _ = try flat.validate() }, path: "layers[0].type", code: "shape_mismatch")
        let image = ModelSpec(inputShape: [4, 4, 1], layers: [.lstm(units: 4, returnSequences: false)])
        assertSpecError({ _ = try Network(spec: image, seed: 0) }, path: "layers[0].type", code: "shape_mismatch")
        // A dense layer's flat output cannot feed a recurrent layer either.
        let afterDense = ModelSpec(
            inputShape: [5, 3],
            layers: [
                .lstm(units: 4, returnSequences: false), .dense(units: 6, activation: .relu, useBias: true),
                .rnn(units: 2, activation: .tanh, returnSequences: false),
            ])
        assertSpecError({ _ = try afterDense.validate() }, path: "layers[2].type", code: "shape_mismatch")
    }

    func testLastStepOutputCannotFeedAnotherRecurrentLayer() {
        for next: LayerSpec in [
            .lstm(units: 3, returnSequences: false), .rnn(units: 3, activation: .relu, returnSequences: true),
        ] {
            let spec = ModelSpec(
                inputShape: [5, 3],
                layers: [
                    .rnn(units: 4, activation: .tanh, returnSequences: true),
                    .lstm(units: 4, returnSequences: false), next,
                ])
            assertSpecError({ _ = try spec.validate() }, path: "layers[1].return_sequences", code: "shape_mismatch")
        }
    }

    func testZeroUnitsAreRejected() {
        assertSpecError(
            { _ = try self.decode(#"{"input_shape": [5, 3], "layers": [{"type": "lstm", "units": 0}]}"#) },
            path: "layers[0].units")
        assertSpecError(
            {
                _ = try self.decode(
                    #"{"input_shape": [5, 3], "layers": [{"type": "rnn", "units": 8, "return_sequences": true}, {"type": "rnn", "units": 0}]}"#
                )
            },
            path: "layers[1].units")
        // A spec built in code rather than decoded is checked again by validation.
        let built = ModelSpec(inputShape: [5, 3], layers: [.rnn(units: 0, activation: .tanh, returnSequences: false)])
        assertSpecError({ _ = try Network(spec: built, seed: 0) }, path: "layers[0].units")
    }

    func testRNNActivationIsTanhOrRelu() {
        assertSpecError(
            {
                _ = try self.decode(
                    #"{"input_shape": [5, 3], "layers": [{"type": "rnn", "units": 4, "activation": "sigmoid"}]}"#)
            },
            path: "layers[0].activation")
    }

    func testValidSpecDecodesWithDefaultsAndSummary() throws {
        let spec = try decode(
            #"""
            {"input_shape": [50, 16], "layers": [{"type": "lstm", "units": 64, "return_sequences": true},
             {"type": "rnn", "units": 32}, {"type": "dense", "units": 10}]}
            """#)
        XCTAssertEqual(spec.layers[1], .rnn(units: 32, activation: .tanh, returnSequences: false))
        let summary = try spec.validate()
        XCTAssertEqual(summary.map(\.outputShape), [[50, 64], [32], [10]])
        // PyTorch: nn.LSTM(16, 64) has 4·64·(16 + 64 + 2) = 20,992; nn.RNN(64, 32) 32·(64 + 32 + 2) = 3,136.
        XCTAssertEqual(summary.map(\.params), [20_992, 3_136, 330])
    }
}
