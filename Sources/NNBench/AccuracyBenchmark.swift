import Foundation
import NNCore

/// The accuracy workloads (A1, A2) on the real data sets in the repository's `datasets/`: test
/// accuracy on the rows whose `split` column says `test`, and wall time.
struct AccuracyBenchmark {
    struct Result: Codable {
        var id: String
        var test_accuracy: Double
        var seconds: Double
    }

    static func dataDirectory() -> URL {
        if let path = ProcessInfo.processInfo.environment["NN_DATASETS"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("datasets")
    }

    static func load(_ name: String) throws -> (train: Dataset, test: Dataset) {
        let url = dataDirectory().appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw BenchError("cannot read \(url.path); run from the repository or set NN_DATASETS")
        }
        let splits = try NumericTable(csv: text, textColumns: ["split"]).classificationSplits()
        guard let train = splits["train"], let test = splits["test"] else {
            throw BenchError("\(name) needs rows whose split is 'train' and rows whose split is 'test'")
        }
        return (train, test)
    }

    static func run(_ id: String, threads: Int) throws -> Result {
        let file: String, spec: ModelSpec, loss: LossFunction, config: TrainingConfig
        if id == "A1" {
            file = "digits.csv"
            spec = ModelSpec(
                inputShape: [64],
                layers: [
                    .dense(units: 64, activation: .relu, useBias: true),
                    .dense(units: 10, activation: .linear, useBias: true),
                ])
            loss = .crossEntropy
            config = TrainingConfig(
                loss: loss, optimizer: .sgd(learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0),
                batchSize: 32, epochs: 50, seed: 0)
        } else {
            file = "circle.csv"
            spec = ModelSpec(
                inputShape: [2],
                layers: [
                    .dense(units: 16, activation: .sigmoid, useBias: true),
                    .dense(units: 1, activation: .sigmoid, useBias: true),
                ])
            loss = .binaryCrossEntropy
            config = TrainingConfig(
                loss: loss, optimizer: .sgd(learningRate: 0.5, momentum: 0.9, nesterov: false, weightDecay: 0),
                batchSize: 32, epochs: 200, seed: 0)
        }
        let (train, test) = try load(file)
        var accuracy = 0.0
        let seconds = try Stopwatch.seconds {
            let network = try Network(spec: spec, seed: 0)
            let trainer = try Trainer(
                network: network, config: config, training: train, validation: nil, threads: threads)
            while !trainer.isFinished { _ = try trainer.runEpoch() }
            accuracy = classificationAccuracy(network.predict(test.inputs, loss: loss, threads: threads), test)
        }
        return Result(id: id, test_accuracy: accuracy, seconds: seconds)
    }

    static func classificationAccuracy(_ outputs: Tensor, _ data: Dataset) -> Double {
        guard case let .classes(classes, _) = data.targets else { return 0 }
        let width = outputs.sampleSize
        var correct = 0
        for row in 0..<data.count {
            let base = row * width
            var predicted = 0
            if width == 1 {
                predicted = outputs.scalars[base] > 0.5 ? 1 : 0
            } else {
                for j in 1..<width where outputs.scalars[base + j] > outputs.scalars[base + predicted] { predicted = j }
            }
            if predicted == Int(classes[row]) { correct += 1 }
        }
        return Double(correct) / Double(max(data.count, 1))
    }
}
