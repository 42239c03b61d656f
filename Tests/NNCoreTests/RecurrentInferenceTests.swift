import NNCore
import XCTest

/// The LSTM's and RNN's inference pass (blocks of rows through all steps) against its training pass:
/// the same bits, on batches around the block size, one and two threads, last step or every
/// step, under each kernel set the CPU has.
final class RecurrentInferenceTests: XCTestCase {
    func testLSTMInferenceMatchesTrainingPassBits() throws {
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                var rng = SeededGenerator(seed: 47)
                for (features, units) in [(7, 20), (16, 64)] {
                    for returnSequences in [false, true] {
                        let layer = LSTMLayer(
                            features: features, units: units, returnSequences: returnSequences, rng: &rng)
                        for (n, t) in [(12, 1), (13, 3), (24, 2), (25, 7), (65, 4)] {
                            let input = Tensor(
                                shape: [n, t, features], scalars: (0..<(n * t * features)).map { _ in rng.normal() })
                            var training = PassContext(training: true, threads: 1)
                            let expected = layer.forward(input, &training)
                            for threads in [1, 2] {
                                var inference = PassContext(training: false, threads: threads)
                                let actual = layer.forward(input, &inference)
                                XCTAssertEqual(actual.shape, expected.shape)
                                XCTAssertTrue(
                                    zip(actual.scalars, expected.scalars).allSatisfy { $0.bitPattern == $1.bitPattern },
                                    "\(isa) F=\(features) H=\(units) seq=\(returnSequences) n=\(n) t=\(t) threads=\(threads)"
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    func testRNNInferenceMatchesTrainingPassBits() throws {
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                var rng = SeededGenerator(seed: 53)
                for activation in [ActivationFunction.tanh, .relu] {
                    for returnSequences in [false, true] {
                        let layer = RNNLayer(
                            features: 7, units: 33, activation: activation, returnSequences: returnSequences, rng: &rng)
                        for (n, t) in [(12, 1), (13, 3), (25, 7), (65, 4), (131, 5)] {
                            let input = Tensor(shape: [n, t, 7], scalars: (0..<(n * t * 7)).map { _ in rng.normal() })
                            var training = PassContext(training: true, threads: 1)
                            let expected = layer.forward(input, &training)
                            for threads in [1, 2] {
                                var inference = PassContext(training: false, threads: threads)
                                let actual = layer.forward(input, &inference)
                                XCTAssertEqual(actual.shape, expected.shape)
                                XCTAssertTrue(
                                    zip(actual.scalars, expected.scalars).allSatisfy { $0.bitPattern == $1.bitPattern },
                                    "\(isa) \(activation) seq=\(returnSequences) n=\(n) t=\(t) threads=\(threads)")
                            }
                        }
                    }
                }
            }
        }
    }
}
