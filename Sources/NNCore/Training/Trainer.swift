import Dispatch

/// Trains a network epoch by epoch: seeded shuffling, mini-batches (a last partial batch is
/// kept), the loss fused with a final softmax/sigmoid, gradient clipping by global norm,
/// learning-rate schedules, validation and early stopping.
///
/// Every random draw of epoch e comes from a generator seeded by (seed, e), so a run resumed
/// from a checkpoint after epoch e draws exactly what an uninterrupted run draws.
public final class Trainer {
    public let network: Network
    public let config: TrainingConfig
    public let optimizer: Optimizer
    public private(set) var progress = TrainerProgress()
    let training: Dataset
    let validation: Dataset?
    let threads: Int
    private let fused: Bool

    /// Asked before every batch; when it answers true the epoch ends with
    /// `TrainingError.stopped` and nothing of that epoch is kept by the caller.
    public var shouldStop: (() -> Bool)?

    public init(
        network: Network, config: TrainingConfig, training: Dataset, validation: Dataset?,
        threads: Int = 1
    ) throws {
        let training = Self.adapted(
            try Self.stepClasses(training, loss: config.loss, network: network),
            loss: config.loss, network: network)
        let validation = try validation.map {
            Self.adapted(
                try Self.stepClasses($0, loss: config.loss, network: network), loss: config.loss, network: network)
        }
        try Self.checkCompatibility(network: network, loss: config.loss, data: training)
        try Self.checkAugmentation(config.augmentation, inputShape: network.spec.inputShape)
        if let validation { try Self.checkCompatibility(network: network, loss: config.loss, data: validation) }
        self.network = network
        self.config = config
        self.training = training
        self.validation = validation
        self.threads = max(1, threads)
        self.optimizer = config.optimizer.makeOptimizer()
        self.fused = config.loss.takesLogits && config.loss.fuses(network.finalActivation)
    }

    public var isFinished: Bool { progress.stoppedEarly || progress.epoch >= config.epochs }

    /// Continues from a checkpoint: finished epochs, early-stopping state and optimizer state.
    public func restore(progress: TrainerProgress, optimizerState: OptimizerState) throws {
        try optimizer.restore(optimizerState)
        self.progress = progress
    }

    /// The generator for one epoch's shuffle, augmentation and dropout masks.
    static func generator(seed: UInt64, epoch: Int) -> SeededGenerator {
        var mixer = SeededGenerator(seed: seed)
        return SeededGenerator(seed: mixer.next() &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Runs the next epoch and returns its metrics.
    public func runEpoch() throws -> EpochMetrics {
        let start = DispatchTime.now().uptimeNanoseconds
        let epochIndex = progress.epoch
        let learningRate = config.learningRate(epoch: epochIndex)
        var rng = Self.generator(seed: config.seed, epoch: epochIndex)
        let order = config.shuffle ? rng.permutation(training.count) : Array(0..<training.count)
        let parameters = network.trainableParameters
        var lossSum = 0.0, correct = 0, judged = 0, normSum = 0.0, batches = 0
        var layerNormSums: [String: Double] = [:]
        var batchStart = 0
        while batchStart < order.count {
            if let shouldStop, shouldStop() { throw TrainingError.stopped(epoch: epochIndex + 1) }
            let indices = Array(order[batchStart..<min(order.count, batchStart + config.batchSize)])
            network.zeroGradients()
            var inputs = training.inputs.gathering(rows: indices)
            config.augmentation?.apply(to: &inputs, rng: &rng)
            var context = PassContext(training: true, threads: threads, rng: rng)
            let outputs = network.forward(inputs, &context, skippingFinalActivation: fused)
            let result = config.loss.compute(outputs: outputs, targets: training.targetBatch(indices))
            guard result.loss.isFinite else {
                throw TrainingError.diverged(epoch: epochIndex + 1, batch: batches + 1, learningRate: learningRate)
            }
            network.backward(result.gradient, &context, skippingFinalActivation: fused)
            rng = context.rng
            let norms = GradientNorms.measure(network)
            guard norms.global.isFinite else {
                throw TrainingError.diverged(epoch: epochIndex + 1, batch: batches + 1, learningRate: learningRate)
            }
            if let clip = config.gradientClip, norms.global > clip {
                GradientNorms.scale(parameters, by: Float(clip / (norms.global + 1e-6)))
            }
            optimizer.step(parameters, learningRate: Float(learningRate))
            lossSum += result.loss * Double(indices.count)
            correct += result.correct
            judged += result.judged
            normSum += norms.global
            for (name, value) in norms.perLayer { layerNormSums[name, default: 0] += value }
            batches += 1
            batchStart += config.batchSize
        }
        var metrics = EpochMetrics(
            epoch: epochIndex + 1, loss: lossSum / Double(order.count),
            learningRate: learningRate, gradNorm: normSum / Double(max(batches, 1)),
            gradNorms: layerNormSums.mapValues { $0 / Double(max(batches, 1)) }, seconds: 0)
        if judged > 0 { metrics.accuracy = Double(correct) / Double(judged) }
        if let validation {
            let evaluation = evaluate(validation)
            metrics.valLoss = evaluation.loss
            metrics.valAccuracy = evaluation.accuracy
        }
        progress.epoch += 1
        updateEarlyStopping(metrics)
        metrics.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return metrics
    }

    /// Loss and accuracy on `data` in inference mode.
    public func evaluate(_ data: Dataset, batchSize: Int = 256) -> (loss: Double, accuracy: Double?) {
        var lossSum = 0.0, correct = 0, judged = 0
        var start = 0
        while start < data.count {
            let indices = Array(start..<min(data.count, start + batchSize))
            var context = PassContext(training: false, threads: threads)
            let outputs = network.forward(
                data.inputs.gathering(rows: indices), &context, skippingFinalActivation: fused)
            let result = config.loss.compute(outputs: outputs, targets: data.targetBatch(indices))
            lossSum += result.loss * Double(indices.count)
            correct += result.correct
            judged += result.judged
            start += batchSize
        }
        return (lossSum / Double(max(data.count, 1)), judged > 0 ? Double(correct) / Double(judged) : nil)
    }

    private func updateEarlyStopping(_ metrics: EpochMetrics) {
        guard let stopping = config.earlyStopping, let (value, higherIsBetter) = metrics.monitored(stopping.monitor)
        else { return }
        let improved: Bool
        if let best = progress.best {
            improved = higherIsBetter ? value > best + stopping.minDelta : value < best - stopping.minDelta
        } else {
            improved = true
        }
        if improved {
            progress.best = value
            progress.bestEpoch = progress.epoch
            progress.epochsWithoutImprovement = 0
        } else {
            progress.epochsWithoutImprovement += 1
            if progress.epochsWithoutImprovement > stopping.patience { progress.stoppedEarly = true }
        }
    }
}
