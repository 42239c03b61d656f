/// Adam as `torch.optim.Adam`: g ← g + wd·p; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε).
public final class AdamOptimizer: Optimizer {
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    // Two arrays, not one interleaved: the update mutates both at once, and Swift's
    // exclusivity rule forbids two simultaneous mutable accesses to one array.
    private var firstMoments: [Tensor] = []
    private var secondMoments: [Tensor] = []
    private var steps = 0

    public init(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        if firstMoments.isEmpty {
            firstMoments = parameters.map { Tensor(zeros: $0.value.shape) }
            secondMoments = firstMoments
        }
        steps += 1
        let correction1 = 1 - Float(Double(beta1).power(steps))
        let correction2Root = (1 - Float(Double(beta2).power(steps))).squareRoot()
        let stepSize = learningRate / correction1
        for (index, parameter) in parameters.enumerated() {
            let count = parameter.value.count
            parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                parameter.gradient.scalars.withUnsafeBufferPointer { g in
                    firstMoments[index].scalars.withUnsafeMutableBufferPointer { m in
                        secondMoments[index].scalars.withUnsafeMutableBufferPointer { v in
                            let update = AdamUpdate(
                                beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                                stepSize: stepSize, correction2Root: correction2Root)
                            update.apply(
                                p: p.baseAddress!, g: g.baseAddress!, m: m.baseAddress!, v: v.baseAddress!, count: count
                            )
                        }
                    }
                }
            }
        }
    }

    /// Slots: m and v of parameter 0, then of parameter 1, …
    public var state: OptimizerState {
        OptimizerState(steps: steps, slots: zip(firstMoments, secondMoments).flatMap { [$0, $1] })
    }

    public func restore(_ state: OptimizerState) throws {
        guard state.slots.count % 2 == 0 else {
            throw OptimizerStateError(description: "saved Adam state must hold two moments per parameter")
        }
        firstMoments = stride(from: 0, to: state.slots.count, by: 2).map { state.slots[$0] }
        secondMoments = stride(from: 1, to: state.slots.count, by: 2).map { state.slots[$0] }
        steps = state.steps
    }
}

extension Double {
    /// self raised to a non-negative integer power, by repeated squaring.
    func power(_ exponent: Int) -> Double {
        var result = 1.0, base = self, e = exponent
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
