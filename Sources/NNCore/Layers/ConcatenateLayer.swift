/// Joins inputs along one sample axis (`axis` counts without the batch axis; negative from
/// the end): for every index of the axes before it, the inputs' blocks follow each other in
/// input order, as `torch.cat` and Keras' `Concatenate` lay them out.
public final class ConcatenateLayer: MergeLayer {
    public let axis: Int
    /// The inputs' shapes from the last forward pass, for splitting the gradient.
    private var inputShapes: [[Int]] = []

    public init(axis: Int) {
        self.axis = axis
    }

    /// The axis of the batched tensors `[N, …]` the inputs are joined along.
    private func joinedAxis(rank: Int) -> Int { axis < 0 ? rank + axis : axis + 1 }

    /// Rows: the product of the axes before the joined one; each input's block per row is the
    /// product of the joined axis and those after it.
    private static func blocks(_ shapes: [[Int]], axis: Int) -> (rows: Int, widths: [Int]) {
        (shapes[0][..<axis].reduce(1, *), shapes.map { $0[axis...].reduce(1, *) })
    }

    public func forward(_ inputs: [Tensor]) -> Tensor {
        inputShapes = inputs.map(\.shape)
        let joined = joinedAxis(rank: inputs[0].rank)
        var shape = inputs[0].shape
        shape[joined] = inputs.reduce(0) { $0 + $1.shape[joined] }
        let (rows, widths) = Self.blocks(inputShapes, axis: joined)
        let total = widths.reduce(0, +)
        var output = Tensor(uninitialized: shape)
        output.scalars.withUnsafeMutableBufferPointer { y in
            var offset = 0
            for (input, width) in zip(inputs, widths) {
                input.scalars.withUnsafeBufferPointer { x in
                    for row in 0..<rows {
                        (y.baseAddress! + row * total + offset).update(from: x.baseAddress! + row * width, count: width)
                    }
                }
                offset += width
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> [Tensor] {
        let joined = joinedAxis(rank: gradOutput.rank)
        let (rows, widths) = Self.blocks(inputShapes, axis: joined)
        let total = widths.reduce(0, +)
        var offset = 0
        return gradOutput.scalars.withUnsafeBufferPointer { dy in
            zip(inputShapes, widths).map { shape, width in
                var dx = Tensor(uninitialized: shape)
                dx.scalars.withUnsafeMutableBufferPointer { target in
                    for row in 0..<rows {
                        (target.baseAddress! + row * width).update(
                            from: dy.baseAddress! + row * total + offset, count: width)
                    }
                }
                offset += width
                return dx
            }
        }
    }
}
