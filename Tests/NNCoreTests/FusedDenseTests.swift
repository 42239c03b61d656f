import NNCore
import XCTest

/// Dense layers in `Network.predict` multiply by a weight packed once and read the input in
/// place; they walk the same depth blocks with the same micro-kernel as the training forward's
/// GEMM, so predictions equal `forward` in inference mode bit for bit, on every kernel set and
/// any thread count.
final class FusedDenseTests: XCTestCase {
    /// Odd widths (input 37 crosses no depth block, 300 crosses one of 256), batches below,
    /// at and above one row panel, and batches large enough to be split into chunks of rows
    /// over threads with a short last panel (291 = 48 · 6 + 3); the dense layers of each
    /// network run as one chain (`DenseChain`), block of rows by block of rows.
    func testDenseStackPredictionsEqualForwardBitForBit() throws {
        let narrow = ModelSpec(
            inputShape: [37],
            layers: [
                .dense(units: 41, activation: .relu, useBias: true),
                .dense(units: 17, activation: .tanh, useBias: false),
                .dense(units: 5, activation: .sigmoid, useBias: true),
            ])
        let deep = ModelSpec(
            inputShape: [300],
            layers: [
                .dense(units: 33, activation: .linear, useBias: true), .activation(.relu),
                .dense(units: 3, activation: .linear, useBias: true),
            ])
        // Large enough that one sample's first layer is split by columns between threads.
        let wide = ModelSpec(
            inputShape: [400],
            layers: [
                .dense(units: 250, activation: .relu, useBias: true),
                .dense(units: 10, activation: .linear, useBias: true),
            ])
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                for (name, spec) in [("narrow", narrow), ("deep", deep), ("wide", wide)] {
                    let network = try Network(spec: spec, seed: 4)
                    for batch in [1, 5, 6, 7, 13, 50, 256, 291] {
                        let input = GradientCheck.randomTensor([batch] + spec.inputShape, seed: UInt64(batch))
                        var context = PassContext(training: false, threads: 1)
                        let expected = network.forward(input, &context)
                        for threads in [1, 2] {
                            let actual = network.predict(input, loss: nil, threads: threads)
                            XCTAssertEqual(actual.shape, expected.shape, "\(isa) \(name) batch \(batch)")
                            XCTAssertEqual(
                                actual.scalars, expected.scalars, "\(isa) \(name) batch \(batch) threads \(threads)")
                        }
                    }
                }
            }
        }
    }

    /// A dense layer on `[N, T, features]` (per-step outputs) takes the same path.
    func testDenseOnSequencesEqualsForward() throws {
        let spec = ModelSpec(
            inputShape: [7, 16],
            layers: [
                .dense(units: 11, activation: .tanh, useBias: true),
                .dense(units: 9, activation: .relu, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 2)
        let input = GradientCheck.randomTensor([3, 7, 16], seed: 5)
        var context = PassContext(training: false, threads: 1)
        let expected = network.forward(input, &context)
        let actual = network.predict(input, loss: nil, threads: 2)
        XCTAssertEqual(actual.shape, [3, 7, 9])
        XCTAssertEqual(actual.scalars, expected.scalars)
    }

    /// New dense weights are seen by the next prediction (the packed copy is rebuilt).
    func testPredictionsFollowNewDenseWeights() throws {
        let spec = ModelSpec(inputShape: [10], layers: [.dense(units: 8, activation: .linear, useBias: true)])
        let network = try Network(spec: spec, seed: 1)
        let input = GradientCheck.randomTensor([20, 10], seed: 6)
        let before = network.predict(input, loss: nil)
        let weight = network.namedParameters.first { $0.name.hasSuffix("weight") }!.parameter
        weight.value = GradientCheck.randomTensor([8, 10], seed: 7)
        let after = network.predict(input, loss: nil)
        XCTAssertNotEqual(after.scalars, before.scalars)
        var context = PassContext(training: false)
        XCTAssertEqual(after.scalars, network.forward(input, &context).scalars)
    }
}
