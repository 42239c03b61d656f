/// The training losses, each a mean over the batch as PyTorch's default `reduction="mean"`.
///
/// - `cross_entropy`: targets are class indices; outputs `[N, C]` are logits (softmax fused).
/// - `binary_cross_entropy`: targets 0/1 shaped like the outputs; outputs are logits (sigmoid
///   fused); mean over every element, as `BCEWithLogitsLoss`.
/// - `mse`: mean over every element of (y − t)², as `MSELoss`.
public enum LossFunction: String, Codable, CaseIterable, Sendable {
    case crossEntropy = "cross_entropy"
    case binaryCrossEntropy = "binary_cross_entropy"
    case mse

    /// Whether this loss absorbs a final activation (so the network stops before it).
    public func fuses(_ activation: ActivationFunction) -> Bool {
        (self == .crossEntropy && activation == .softmax) || (self == .binaryCrossEntropy && activation == .sigmoid)
    }

    /// Whether the loss reads the pre-activation outputs (logits).
    public var takesLogits: Bool { self != .mse }
}

/// The targets of one batch.
public enum TargetBatch: Sendable {
    case classes([Int32])
    case values(Tensor)
}

/// A batch's loss, its gradient with respect to the outputs, and the count of correct
/// predictions (classes for cross-entropy, elements for binary cross-entropy).
public struct LossResult {
    public var loss: Double
    public var gradient: Tensor
    public var correct: Int
    public var judged: Int
}
