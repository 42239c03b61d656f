import NNCore
import XCTest

/// Training with the token and sequence layers: a text-like classifier (embedding, conv1d,
/// pools, dense) learns a keyword bigram; per-step tagging is bit-identical on 1 and 2 threads
/// and across a checkpoint; weights round-trip through safetensors under PyTorch's shapes.
final class SequenceTrainingTests: XCTestCase {
    /// Sequences of 12 tokens over 20 ids; class 1 when the bigram (3, 7) occurs somewhere.
    /// Classes alternate; class 0 rows never hold the bigram.
    static func bigrams(_ count: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var inputs: [Float] = [], labels: [Int32] = []
        while labels.count < count {
            var tokens = (0..<12).map { _ in rng.index(below: 20) }
            let label = labels.count % 2
            if label == 1 {
                let at = rng.index(below: 11)
                tokens[at] = 3
                tokens[at + 1] = 7
            }
            let holds = zip(tokens, tokens.dropFirst()).contains { $0 == 3 && $1 == 7 }
            guard holds == (label == 1) else { continue }
            inputs += tokens.map(Float.init)
            labels.append(Int32(label))
        }
        return Dataset(inputs: Tensor(shape: [count, 12], scalars: inputs), targets: .classes(labels, count: 2))
    }

    static let classifier = ModelSpec(
        inputShape: [12],
        layers: [
            .embedding(inputDim: 20, outputDim: 8),
            .conv1d(filters: 16, kernel: 2, stride: 1, padding: .same, activation: .relu),
            .maxpool1d(pool: 2, stride: 2), .globalAvgpool, .dense(units: 2, activation: .softmax, useBias: true),
        ])

    static func adam(epochs: Int, seed: UInt64 = 0) -> TrainingConfig {
        TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            batchSize: 32, epochs: epochs, seed: seed)
    }

    func testTextClassifierLearnsAKeywordBigram() throws {
        let network = try Network(spec: Self.classifier, seed: 1)
        let trainer = try Trainer(
            network: network, config: Self.adam(epochs: 30), training: Self.bigrams(512, seed: 1), validation: nil)
        while !trainer.isFinished { _ = try trainer.runEpoch() }
        let test = Self.bigrams(200, seed: 2)
        let accuracy = try XCTUnwrap(trainer.evaluate(test).accuracy)
        XCTAssertGreaterThan(accuracy, 0.9, "held-out accuracy")
    }

    /// Per-step tags as value targets `[N, T]`, read as one class per step by cross-entropy:
    /// each step is tagged 1 when the previous token is 5 or more.
    static func tags(_ count: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var inputs: [Float] = [], targets: [Float] = []
        for _ in 0..<count {
            let tokens = (0..<8).map { _ in rng.index(below: 10) }
            inputs += tokens.map(Float.init)
            targets += [0] + tokens.dropLast().map { $0 >= 5 ? 1 : 0 }
        }
        return Dataset(
            inputs: Tensor(shape: [count, 8], scalars: inputs),
            targets: .values(Tensor(shape: [count, 8], scalars: targets)))
    }

    static let tagger = ModelSpec(
        inputShape: [8],
        layers: [
            .embedding(inputDim: 10, outputDim: 6), .lstm(units: 12, returnSequences: true),
            .conv1d(filters: 8, kernel: 3, stride: 1, padding: .same, activation: .tanh),
            .dense(units: 2, activation: .softmax, useBias: true),
        ])

    private func trainTagger(threads: Int, epochs: Int, resumeAfter: Int? = nil) throws -> ([[Float]], [EpochMetrics]) {
        let data = Self.tags(200, seed: 4).split(validationFraction: 0.2, seed: 1)
        func make(_ config: TrainingConfig) throws -> (Network, Trainer) {
            let network = try Network(spec: Self.tagger, seed: 7)
            return (
                network,
                try Trainer(
                    network: network, config: config, training: data.train, validation: data.validation,
                    threads: threads)
            )
        }
        var (network, trainer) = try make(Self.adam(epochs: epochs))
        var history: [EpochMetrics] = []
        while !trainer.isFinished {
            var metrics = try trainer.runEpoch()
            metrics.seconds = 0
            history.append(metrics)
            if history.count == resumeAfter {
                let checkpoint = TrainingCheckpoint.encode(network: network, trainer: trainer)
                (network, trainer) = try make(Self.adam(epochs: epochs))
                try TrainingCheckpoint.restore(checkpoint, network: network, trainer: trainer)
            }
        }
        return (network.namedParameters.map(\.parameter.value.scalars), history)
    }

    func testPerStepTrainingIsDeterministicAcrossThreadsAndCheckpoints() throws {
        let one = try trainTagger(threads: 1, epochs: 4)
        let two = try trainTagger(threads: 2, epochs: 4)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.1, two.1)
        let resumed = try trainTagger(threads: 2, epochs: 4, resumeAfter: 2)
        XCTAssertEqual(one.0, resumed.0)
        XCTAssertEqual(one.1, resumed.1)
        // Accuracy and validation accuracy count steps, and training moves them.
        XCTAssertNotNil(one.1.last?.valAccuracy)
        XCTAssertLessThan(one.1.last!.loss, one.1.first!.loss)
    }

    func testWeightsRoundTripUnderPyTorchShapes() throws {
        let network = try Network(spec: Self.classifier, seed: 3)
        let file = try SafetensorsFile(bytes: network.exportWeights().encoded())
        XCTAssertEqual(file.tensor(named: "layers.0.weight")?.shape, [20, 8])
        XCTAssertEqual(file.tensor(named: "layers.1.weight")?.shape, [16, 8, 2])
        XCTAssertEqual(file.tensor(named: "layers.1.bias")?.shape, [16])
        XCTAssertEqual(file.tensor(named: "layers.4.weight")?.shape, [2, 16])
        let copy = try Network(spec: Self.classifier, seed: 4)
        try copy.loadWeights(file)
        let input = Self.bigrams(5, seed: 9).inputs
        XCTAssertEqual(copy.predict(input, loss: .crossEntropy), network.predict(input, loss: .crossEntropy))
    }

    /// A bad token or per-step class in a data set handed to the trainer is an error naming
    /// the row and column, never a pass that reads outside the table.
    func testTrainerRefusesBadTokensAndClasses() throws {
        var data = Self.tags(10, seed: 5)
        data.inputs.scalars[3 * 8 + 4] = 10
        let network = try Network(spec: Self.tagger, seed: 1)
        XCTAssertThrowsError(
            try Trainer(network: network, config: Self.adam(epochs: 1), training: data, validation: nil)
        ) {
            XCTAssertEqual(($0 as? SpecError)?.path, "inputs[3][4]")
        }
        var targets = Self.tags(10, seed: 5)
        if case var .values(values) = targets.targets {
            values.scalars[2 * 8 + 1] = 0.5
            targets.targets = .values(values)
        }
        XCTAssertThrowsError(
            try Trainer(network: network, config: Self.adam(epochs: 1), training: targets, validation: nil)
        ) {
            XCTAssertEqual(($0 as? SpecError)?.path, "targets[2][1]")
        }
    }
}
