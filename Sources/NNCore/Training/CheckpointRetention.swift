/// Which checkpoints a job keeps (the job option `checkpoints`): the `keepLast` newest and the
/// `keepBest` best by `monitor`, as TensorFlow's `CheckpointManager(max_to_keep=)` and
/// Lightning's `ModelCheckpoint(save_top_k=)` do. The newest one is always kept, since a job
/// interrupted by a crash resumes from it.
public struct CheckpointRetention: Equatable, Sendable, Codable {
    public var keepLast: Int
    public var keepBest: Int
    /// `val_loss`, `loss`, `val_accuracy` or `accuracy`; `val_*` falls back to the training
    /// figure when the job has no validation data.
    public var monitor: String

    public static let monitors = ["val_loss", "loss", "val_accuracy", "accuracy"]

    enum CodingKeys: String, CodingKey {
        case keepLast = "keep_last"
        case keepBest = "keep_best"
        case monitor
    }

    public init(keepLast: Int = 3, keepBest: Int = 1, monitor: String = "val_loss") {
        self.keepLast = keepLast
        self.keepBest = keepBest
        self.monitor = monitor
    }

    public init(from decoder: Decoder) throws {
        let f = try decoder.container(keyedBy: AnyKey.self)
        try f.rejectUnknownFields(allowed: ["keep_last", "keep_best", "monitor"], context: "checkpoints")
        keepLast = try f.optional(Int.self, "keep_last") ?? 3
        keepBest = try f.optional(Int.self, "keep_best") ?? 1
        monitor = try f.optional(String.self, "monitor") ?? "val_loss"
        guard (1...1_000_000).contains(keepLast) else {
            throw SpecError(
                path: "keep_last",
                "'keep_last' must be between 1 and 1000000, got \(keepLast); the newest checkpoint is what a job resumes from"
            )
        }
        guard (0...1_000_000).contains(keepBest) else {
            throw SpecError(path: "keep_best", "'keep_best' must be between 0 and 1000000, got \(keepBest)")
        }
        guard Self.monitors.contains(monitor) else {
            throw SpecError(
                path: "monitor", "'monitor' must be val_loss, loss, val_accuracy or accuracy, got '\(monitor)'")
        }
    }

    /// Whether a larger monitored figure is better (accuracies) or a smaller one (losses).
    public var higherIsBetter: Bool { monitor.hasSuffix("accuracy") }

    /// The monitored figure of one epoch, with `val_*` falling back to the training figure
    /// when there is no validation.
    public func value(loss: Double?, valLoss: Double?, accuracy: Double?, valAccuracy: Double?) -> Double? {
        switch monitor {
        case "val_loss": return valLoss ?? loss
        case "loss": return loss
        case "val_accuracy": return valAccuracy ?? accuracy
        default: return accuracy
        }
    }
}
