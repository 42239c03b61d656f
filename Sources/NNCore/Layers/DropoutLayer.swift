/// Inverted dropout: in training each value is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 − rate), so inference is the identity. Masks come from the
/// pass's seeded generator, so a seed fixes them.
public final class DropoutLayer: Layer {
    public let rate: Float
    public var needsInputGradient = true
    private var mask: [Float] = []

    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1)
        self.rate = rate
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        guard context.training, rate > 0 else { return input }
        let keep = 1 / (1 - rate)
        if mask.count != input.count { mask = [Float](repeating: 0, count: input.count) }
        var output = input
        var rng = context.rng
        mask.withUnsafeMutableBufferPointer { m in
            output.scalars.withUnsafeMutableBufferPointer { y in
                for i in 0..<m.count {
                    m[i] = rng.uniform() >= rate ? keep : 0
                    y[i] *= m[i]
                }
            }
        }
        context.rng = rng
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard rate > 0 else { return gradOutput }
        var gradient = gradOutput
        mask.withUnsafeBufferPointer { m in
            gradient.scalars.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] *= m[i] }
            }
        }
        return gradient
    }
}
