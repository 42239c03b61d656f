/// What one finished epoch measured. `epoch` counts from 1. Accuracy fields exist only for
/// classification, `val_*` only with validation data. `gradNorm` is the mean over the
/// epoch's batches of the global L2 gradient norm before clipping; `gradNorms` the same per
/// spec layer (`layers.0`), so vanishing or exploding gradients show layer by layer.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var valLoss: Double?
    public var accuracy: Double?
    public var valAccuracy: Double?
    public var learningRate: Double
    public var gradNorm: Double
    public var gradNorms: [String: Double]
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, loss, accuracy, seconds
        case valLoss = "val_loss"
        case valAccuracy = "val_accuracy"
        case learningRate = "learning_rate"
        case gradNorm = "grad_norm"
        case gradNorms = "grad_norms"
    }

    /// The value early stopping watches, and whether larger is better.
    func monitored(_ name: String) -> (value: Double, higherIsBetter: Bool)? {
        switch name {
        case "loss": return (loss, false)
        case "val_loss": return valLoss.map { ($0, false) }
        case "accuracy": return accuracy.map { ($0, true) }
        case "val_accuracy": return valAccuracy.map { ($0, true) }
        default: return nil
        }
    }
}

/// Where a training run stands between epochs; saved with checkpoints.
public struct TrainerProgress: Codable, Equatable, Sendable {
    /// Finished epochs.
    public var epoch: Int = 0
    public var best: Double?
    /// The epoch (counted from 1 within the run) where early stopping saw `best`.
    public var bestEpoch: Int?
    public var epochsWithoutImprovement: Int = 0
    public var stoppedEarly = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epoch, best
        case bestEpoch = "best_epoch"
        case epochsWithoutImprovement = "epochs_without_improvement"
        case stoppedEarly = "stopped_early"
    }
}

public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, batch: Int, learningRate: Double)
    /// The caller asked the run to stop (a cancel or a shutdown) during this epoch.
    case stopped(epoch: Int)

    public var description: String {
        switch self {
        case let .diverged(epoch, batch, learningRate):
            return "training diverged: the loss became NaN or infinite in epoch \(epoch), batch \(batch); "
                + "lower the learning rate (now \(learningRate)), add gradient_clip, or scale the inputs"
        case let .stopped(epoch):
            return "training stopped during epoch \(epoch)"
        }
    }
}
