import NNCore
import XCTest

/// Small CNN trainings that must reach an accuracy.
final class CNNTrainingTests: XCTestCase {
    private func accuracy(_ network: Network, _ data: Dataset) -> Double {
        let outputs = network.predict(data.inputs, loss: .crossEntropy, threads: 2)
        guard case let .classes(classes, _) = data.targets else { return 0 }
        let width = outputs.sampleSize
        var correct = 0
        for row in 0..<data.count {
            let scores = Array(outputs.scalars[(row * width)..<((row + 1) * width)])
            if scores.indices.max(by: { scores[$0] < scores[$1] }) == Int(classes[row]) { correct += 1 }
        }
        return Double(correct) / Double(data.count)
    }

    /// 10x10 images with one horizontal (class 0) or vertical (class 1) bar at a random place,
    /// plus noise.
    private func bars(_ count: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var inputs = Tensor(zeros: [count, 10, 10, 1])
        var labels: [Int32] = []
        for n in 0..<count {
            let vertical = rng.uniform() < 0.5
            let line = rng.index(below: 10), start = rng.index(below: 4), length = 4 + rng.index(below: 3)
            for i in 0..<100 { inputs.scalars[n * 100 + i] = rng.uniform(0, 0.3) }
            for t in start..<(start + length) {
                let (y, x) = vertical ? (t, line) : (line, t)
                inputs.scalars[n * 100 + y * 10 + x] = 1
            }
            labels.append(vertical ? 1 : 0)
        }
        return Dataset(inputs: inputs, targets: .classes(labels, count: 2))
    }

    func testSmallCNNLearnsBarOrientation() throws {
        let spec = ModelSpec(
            inputShape: [10, 10, 1],
            layers: [
                .conv2d(filters: 4, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dense(units: 2, activation: .linear, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 1)
        let config = TrainingConfig(
            loss: .crossEntropy, optimizer: .sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0),
            batchSize: 32, epochs: 8, seed: 1)
        let trainer = try Trainer(
            network: network, config: config, training: bars(800, seed: 2), validation: nil, threads: 2)
        while !trainer.isFinished { _ = try trainer.runEpoch() }
        let result = accuracy(network, bars(400, seed: 3))
        print("bars test accuracy \(result)")
        XCTAssertGreaterThanOrEqual(result, 0.95)
    }

    /// Augmentation is applied (the loss history changes), seeded (the same seed repeats it
    /// bit for bit) and leaves the task learnable.
    func testAugmentedTrainingIsSeededAndStillLearns() throws {
        let spec = ModelSpec(
            inputShape: [10, 10, 1],
            layers: [
                .conv2d(filters: 4, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dense(units: 2, activation: .linear, useBias: true),
            ])
        func run(_ augmentation: ImageAugmentation?) throws -> (losses: [Double], accuracy: Double) {
            let network = try Network(spec: spec, seed: 1)
            let config = TrainingConfig(
                loss: .crossEntropy,
                optimizer: .sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0),
                batchSize: 32, epochs: 8, seed: 1, augmentation: augmentation)
            let trainer = try Trainer(
                network: network, config: config, training: bars(800, seed: 2), validation: nil, threads: 2)
            var losses: [Double] = []
            while !trainer.isFinished { losses.append(try trainer.runEpoch().loss) }
            return (losses, accuracy(network, bars(400, seed: 3)))
        }
        let augmentation = ImageAugmentation(flipHorizontal: true, rotation: 5, crop: 1, brightness: 0.1)
        let first = try run(augmentation), second = try run(augmentation), plain = try run(nil)
        XCTAssertEqual(first.losses, second.losses)
        XCTAssertNotEqual(first.losses, plain.losses)
        print("augmented bars test accuracy \(first.accuracy)")
        XCTAssertGreaterThanOrEqual(first.accuracy, 0.95)
    }

    /// A1's digits as 8x8x1 images through a small CNN with batch norm.
    func testDigitsCNNReachesTestAccuracy() throws {
        let (train, test) = try SharedData.load("digits.csv")
        func images(_ d: Dataset) -> Dataset {
            Dataset(inputs: d.inputs.reshaped([d.count, 8, 8, 1]), targets: d.targets)
        }
        let spec = ModelSpec(
            inputShape: [8, 8, 1],
            layers: [
                .conv2d(filters: 16, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .conv2d(filters: 32, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dense(units: 10, activation: .linear, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 0)
        let config = TrainingConfig(
            loss: .crossEntropy, optimizer: .sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0),
            batchSize: 32, epochs: 15, seed: 0)
        let trainer = try Trainer(
            network: network, config: config, training: images(train), validation: nil, threads: 2)
        while !trainer.isFinished { _ = try trainer.runEpoch() }
        let result = accuracy(network, images(test))
        print("digits CNN test accuracy \(result)")
        XCTAssertGreaterThanOrEqual(result, 0.97)
    }
}
