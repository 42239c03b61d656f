/// An optimizer updates parameters from their gradients. Its state (one or two slots per
/// parameter, at the parameter's index, and a step count) can be saved in a checkpoint and
/// restored so that a resumed run continues exactly.
public protocol Optimizer: AnyObject {
    func step(_ parameters: [Parameter], learningRate: Float)
    var state: OptimizerState { get }
    func restore(_ state: OptimizerState) throws
}

public struct OptimizerState: Equatable, Sendable {
    public var steps: Int
    /// Slot tensors, `slotsPerParameter` per parameter, in parameter order.
    public var slots: [Tensor]

    public init(steps: Int, slots: [Tensor]) {
        self.steps = steps
        self.slots = slots
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public var description: String
}
