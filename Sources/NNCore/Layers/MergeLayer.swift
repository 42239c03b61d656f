/// A layer that combines the outputs of several layers of a graph (`add`, `concatenate`).
/// It has no parameters; backward splits the output's gradient into one per input.
public protocol MergeLayer: AnyObject {
    func forward(_ inputs: [Tensor]) -> Tensor
    func backward(_ gradOutput: Tensor) -> [Tensor]
}

/// The element-wise sum of inputs of one shape; each input's gradient is the output's.
public final class AddLayer: MergeLayer {
    private var inputCount = 0

    public init() {}

    public func forward(_ inputs: [Tensor]) -> Tensor {
        precondition(inputs.count >= 2 && inputs.allSatisfy { $0.shape == inputs[0].shape }, "add needs equal shapes")
        inputCount = inputs.count
        var sum = inputs[0]
        for input in inputs.dropFirst() { sum.add(input) }
        return sum
    }

    public func backward(_ gradOutput: Tensor) -> [Tensor] {
        Array(repeating: gradOutput, count: inputCount)
    }
}

extension Tensor {
    /// Adds `other` (of the same shape) element by element, in place. Each sum is one
    /// rounding, so the result does not depend on threads or vector width.
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "cannot add \(other.shape) to \(shape)")
        scalars.withUnsafeMutableBufferPointer { target in
            other.scalars.withUnsafeBufferPointer { source in
                for i in target.indices { target[i] += source[i] }
            }
        }
    }
}
