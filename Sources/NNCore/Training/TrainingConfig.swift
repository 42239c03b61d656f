/// The training fields of a job request (docs/API.md): loss, optimizer, batches, epochs,
/// validation, clipping, early stopping and learning-rate schedules.
public struct TrainingConfig: Equatable, Sendable {
    public struct EarlyStopping: Equatable, Sendable, Codable {
        public var monitor: String
        public var patience: Int
        public var minDelta: Double
        /// When early stopping ends the job, the model keeps the weights of its best monitored
        /// epoch rather than its last (Keras' `restore_best_weights`).
        public var restoreBest: Bool
        enum CodingKeys: String, CodingKey {
            case monitor, patience
            case minDelta = "min_delta"
            case restoreBest = "restore_best"
        }
        public init(monitor: String = "val_loss", patience: Int = 5, minDelta: Double = 0, restoreBest: Bool = true) {
            self.monitor = monitor
            self.patience = patience
            self.minDelta = minDelta
            self.restoreBest = restoreBest
        }

        public init(from decoder: Decoder) throws {
            let f = try decoder.container(keyedBy: CodingKeys.self)
            monitor = try f.decodeIfPresent(String.self, forKey: .monitor) ?? "val_loss"
            patience = try f.decodeIfPresent(Int.self, forKey: .patience) ?? 5
            minDelta = try f.decodeIfPresent(Double.self, forKey: .minDelta) ?? 0
            restoreBest = try f.decodeIfPresent(Bool.self, forKey: .restoreBest) ?? true
        }
    }

    public enum Schedule: Equatable, Sendable {
        case step(stepSize: Int, gamma: Double)
        case cosine
    }

    public var loss: LossFunction
    public var optimizer: OptimizerConfig
    public var batchSize: Int
    public var epochs: Int
    public var shuffle: Bool
    public var seed: UInt64
    public var validationSplit: Double?
    public var validationDataset: String?
    public var gradientClip: Double?
    public var earlyStopping: EarlyStopping?
    public var schedule: Schedule?
    public var checkpointEvery: Int
    /// Which checkpoints are kept as training goes on.
    public var checkpoints = CheckpointRetention()
    /// On-the-fly augmentation of image training batches.
    public var augmentation: ImageAugmentation?

    public init(
        loss: LossFunction, optimizer: OptimizerConfig, batchSize: Int = 32, epochs: Int = 10,
        shuffle: Bool = true, seed: UInt64 = 0, validationSplit: Double? = nil,
        validationDataset: String? = nil, gradientClip: Double? = nil,
        earlyStopping: EarlyStopping? = nil, schedule: Schedule? = nil, checkpointEvery: Int = 1,
        augmentation: ImageAugmentation? = nil
    ) {
        self.loss = loss
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.epochs = epochs
        self.shuffle = shuffle
        self.seed = seed
        self.validationSplit = validationSplit
        self.validationDataset = validationDataset
        self.gradientClip = gradientClip
        self.earlyStopping = earlyStopping
        self.schedule = schedule
        self.checkpointEvery = checkpointEvery
        self.augmentation = augmentation
    }

    /// The learning rate for a 0-based epoch: step decay multiplies by γ every `step_size`
    /// epochs; cosine anneals from the base rate to 0 over all epochs (PyTorch's
    /// `StepLR` and `CosineAnnealingLR` with `eta_min` 0, stepped once per epoch).
    public func learningRate(epoch: Int) -> Double {
        let base = optimizer.learningRate
        switch schedule {
        case .none:
            return base
        case let .step(stepSize, gamma):
            return base * gamma.power(epoch / stepSize)
        case .cosine:
            return base * 0.5 * (1 + _cos(Double.pi * Double(epoch) / Double(epochs)))
        }
    }
}
