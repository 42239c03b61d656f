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
        mask = [Float](repeating: 0, count: input.count)
        var output = input
        for i in 0..<input.count {
            let kept = context.rng.uniform() >= rate
            mask[i] = kept ? keep : 0
            output.scalars[i] *= mask[i]
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard rate > 0 else { return gradOutput }
        var gradient = gradOutput
        for i in 0..<gradient.count { gradient.scalars[i] *= mask[i] }
        return gradient
    }
}
