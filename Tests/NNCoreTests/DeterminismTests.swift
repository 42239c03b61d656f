import NNCore
import XCTest

final class DeterminismTests: XCTestCase {
    private func train(threads: Int, seed: UInt64) throws -> (weights: [[Float]], history: [EpochMetrics]) {
        var rng = SeededGenerator(seed: 99)
        let n = 300
        let inputs = Tensor(shape: [n, 200], scalars: (0..<(n * 200)).map { _ in rng.normal() })
        let classes = (0..<n).map { _ in Int32(rng.index(below: 5)) }
        let data = Dataset(inputs: inputs, targets: .classes(classes, count: 5))
        let spec = ModelSpec(
            inputShape: [200],
            layers: [
                .dense(units: 256, activation: .relu, useBias: true),
                .dropout(rate: 0.2),
                .dense(units: 160, activation: .tanh, useBias: true),
                .dense(units: 5, activation: .softmax, useBias: true),
            ])
        let network = try Network(spec: spec, seed: seed)
        let config = TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.001),
            batchSize: 64, epochs: 3, seed: seed, gradientClip: 1.0)
        let split = data.split(validationFraction: 0.2, seed: seed)
        let trainer = try Trainer(
            network: network, config: config, training: split.train, validation: split.validation,
            threads: threads)
        var history: [EpochMetrics] = []
        while !trainer.isFinished {
            var metrics = try trainer.runEpoch()
            metrics.seconds = 0
            history.append(metrics)
        }
        return (network.namedParameters.map(\.parameter.value.scalars), history)
    }

    /// The same seed gives identical bits on one and two threads; another seed differs. The
    /// layers are large enough (64·200·256 multiply-adds) for the GEMM to use both threads.
    func testSameSeedSameBitsOnOneAndTwoThreads() throws {
        let one = try train(threads: 1, seed: 5)
        let two = try train(threads: 2, seed: 5)
        XCTAssertEqual(one.weights, two.weights)
        XCTAssertEqual(one.history, two.history)
        let again = try train(threads: 2, seed: 5)
        XCTAssertEqual(one.weights, again.weights)
        let other = try train(threads: 1, seed: 6)
        XCTAssertNotEqual(one.weights, other.weights)
    }
}
