import NNCore
import XCTest

final class TrainerTests: XCTestCase {
    private func accuracy(_ network: Network, _ data: Dataset, loss: LossFunction) -> Double {
        let outputs = network.predict(data.inputs, loss: loss)
        guard case let .classes(classes, _) = data.targets else { return 0 }
        let width = outputs.sampleSize
        var correct = 0
        for row in 0..<data.count {
            let scores = outputs.scalars[(row * width)..<((row + 1) * width)]
            let predicted =
                width == 1
                ? (scores.first! > 0.5 ? 1 : 0) : scores.indices.max { scores[$0] < scores[$1] }! - row * width
            if predicted == Int(classes[row]) { correct += 1 }
        }
        return Double(correct) / Double(data.count)
    }

    /// A1 of WORKLOADS.md: digits, dense 64 relu, dense 10, SGD 0.1 momentum 0.9, batch 32, 50 epochs.
    func testA1DigitsReachesTestAccuracy() throws {
        let (train, test) = try SharedData.load("digits.csv")
        let spec = ModelSpec(
            inputShape: [64],
            layers: [
                .dense(units: 64, activation: .relu, useBias: true),
                .dense(units: 10, activation: .linear, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 0)
        let config = TrainingConfig(
            loss: .crossEntropy,
            optimizer: .sgd(learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0),
            batchSize: 32, epochs: 50, seed: 0)
        let trainer = try Trainer(network: network, config: config, training: train, validation: nil)
        var history: [EpochMetrics] = []
        while !trainer.isFinished { history.append(try trainer.runEpoch()) }
        XCTAssertEqual(history.count, 50)
        XCTAssertLessThan(history.last!.loss, history.first!.loss)
        let testAccuracy = accuracy(network, test, loss: .crossEntropy)
        print("A1 test accuracy \(testAccuracy)")
        XCTAssertGreaterThanOrEqual(testAccuracy, 0.96, "A1 test accuracy \(testAccuracy)")
    }

    /// A2: circle, dense 16 sigmoid, dense 1 sigmoid, binary cross-entropy, SGD 0.5 momentum 0.9.
    func testA2CircleReachesTestAccuracy() throws {
        let (train, test) = try SharedData.load("circle.csv")
        let spec = ModelSpec(
            inputShape: [2],
            layers: [
                .dense(units: 16, activation: .sigmoid, useBias: true),
                .dense(units: 1, activation: .sigmoid, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 0)
        let config = TrainingConfig(
            loss: .binaryCrossEntropy,
            optimizer: .sgd(learningRate: 0.5, momentum: 0.9, nesterov: false, weightDecay: 0),
            batchSize: 32, epochs: 200, seed: 0)
        let trainer = try Trainer(network: network, config: config, training: train, validation: nil)
        while !trainer.isFinished { _ = try trainer.runEpoch() }
        let testAccuracy = accuracy(network, test, loss: .binaryCrossEntropy)
        print("A2 test accuracy \(testAccuracy)")
        XCTAssertGreaterThanOrEqual(testAccuracy, 0.95, "A2 test accuracy \(testAccuracy)")
    }
}
