import NNCore

/// A training-speed workload of WORKLOADS.md: synthetic standard-normal inputs and uniform
/// labels, whole mini-batches without shuffling, 1 warm-up epoch then 5 timed epochs
/// (median samples/s); then inference latency for one sample (median of 1,000 calls after
/// 100 warm-up calls) and batch-256 throughput (median of 20 calls after 3 warm-ups).
struct TrainingBenchmark {
    struct Result: Codable {
        var id: String
        var threads: Int
        var train_samples_per_s: Double
        var train_min: Double
        var train_max: Double
        var infer_latency_us: Double
        var infer_batch256_samples_per_s: Double
        var final_loss: Double
        var params: Int
    }

    var id: String
    var spec: ModelSpec
    var batchSize: Int
    var optimizer: OptimizerConfig
    var samples: Int

    static let w1 = TrainingBenchmark(
        id: "W1",
        spec: ModelSpec(
            inputShape: [784],
            layers: [
                .dense(units: 256, activation: .relu, useBias: true),
                .dense(units: 128, activation: .relu, useBias: true),
                .dense(units: 10, activation: .linear, useBias: true),
            ]),
        batchSize: 64, optimizer: .sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0),
        samples: 10_240)

    static let sgd = OptimizerConfig.sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0)
    static let adam = OptimizerConfig.adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)

    static let w2 = TrainingBenchmark(
        id: "W2",
        spec: ModelSpec(
            inputShape: [28, 28, 1],
            layers: [
                .conv2d(filters: 6, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .conv2d(filters: 16, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .valid, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                .dense(units: 120, activation: .relu, useBias: true),
                .dense(units: 84, activation: .relu, useBias: true),
                .dense(units: 10, activation: .linear, useBias: true),
            ]),
        batchSize: 64, optimizer: sgd, samples: 4096)

    static let w3 = TrainingBenchmark(
        id: "W3",
        spec: ModelSpec(
            inputShape: [50, 16],
            layers: [
                .lstm(units: 64, returnSequences: false),
                .dense(units: 10, activation: .linear, useBias: true),
            ]),
        batchSize: 32, optimizer: adam, samples: 2048)

    static let w4 = TrainingBenchmark(
        id: "W4",
        spec: ModelSpec(
            inputShape: [32, 32, 3],
            layers: [
                .conv2d(filters: 32, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .conv2d(filters: 64, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dropout(rate: 0.5), .dense(units: 10, activation: .linear, useBias: true),
            ]),
        batchSize: 64, optimizer: sgd, samples: 2048)

    static let w5 = TrainingBenchmark(
        id: "W5",
        spec: ModelSpec(
            inputShape: [50, 16],
            layers: [
                .rnn(units: 64, activation: .tanh, returnSequences: false),
                .dense(units: 10, activation: .linear, useBias: true),
            ]),
        batchSize: 32, optimizer: adam, samples: 2048)

    static let all = [w1, w2, w3, w4, w5, w6]

    func run(threads: Int) throws -> Result {
        var rng = SeededGenerator(seed: 0)
        let sampleSize = spec.inputShape.reduce(1, *)
        let inputs = Tensor(
            shape: [samples] + spec.inputShape,
            scalars: (0..<(samples * sampleSize)).map { _ in rng.normal() })
        let labels = (0..<samples).map { _ in Int32(rng.index(below: 10)) }
        let data = Dataset(inputs: inputs, targets: .classes(labels, count: 10))
        let network = try Network(spec: spec, seed: 0)
        let config = TrainingConfig(
            loss: .crossEntropy, optimizer: optimizer, batchSize: batchSize, epochs: 6,
            shuffle: false, seed: 0)
        let trainer = try Trainer(network: network, config: config, training: data, validation: nil, threads: threads)
        _ = try trainer.runEpoch()
        var rates: [Double] = []
        var finalLoss = 0.0
        for _ in 0..<5 {
            var loss = 0.0
            let seconds = try Stopwatch.seconds { loss = try trainer.runEpoch().loss }
            rates.append(Double(samples) / seconds)
            finalLoss = loss
        }
        let one = inputs.rows(0..<1)
        for _ in 0..<100 { _ = network.predict(one, loss: nil, threads: threads) }
        let latencies = (0..<1000).map { _ in
            Stopwatch.seconds { _ = network.predict(one, loss: nil, threads: threads) }
        }
        let batch = inputs.rows(0..<256)
        for _ in 0..<3 { _ = network.predict(batch, loss: nil, threads: threads) }
        let batchTimes = (0..<20).map { _ in
            Stopwatch.seconds { _ = network.predict(batch, loss: nil, threads: threads) }
        }
        return Result(
            id: id, threads: threads, train_samples_per_s: Stopwatch.median(rates),
            train_min: rates.min()!, train_max: rates.max()!,
            infer_latency_us: Stopwatch.median(latencies) * 1e6,
            infer_batch256_samples_per_s: 256 / Stopwatch.median(batchTimes),
            final_loss: finalLoss, params: network.parameterCount)
    }
}
