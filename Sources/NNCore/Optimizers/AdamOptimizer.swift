/// Adam as `torch.optim.Adam`: g ← g + wd·p; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε).
public final class AdamOptimizer: Optimizer {
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    private var moments: [Tensor] = []
    private var steps = 0

    public init(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        if moments.isEmpty {
            moments = parameters.flatMap { [Tensor(zeros: $0.value.shape), Tensor(zeros: $0.value.shape)] }
        }
        steps += 1
        let correction1 = 1 - Float(Double(beta1).power(steps))
        let correction2Root = (1 - Float(Double(beta2).power(steps))).squareRoot()
        let stepSize = learningRate / correction1
        // Both moments of a parameter are written in one loop. Two nested mutable accesses
        // to `moments` itself would overlap (Swift's exclusivity check stops the process),
        // so the slots are reached through one buffer pointer.
        moments.withUnsafeMutableBufferPointer { slots in
            for (index, parameter) in parameters.enumerated() {
                let count = parameter.value.count
                parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                    parameter.gradient.scalars.withUnsafeBufferPointer { g in
                        slots[2 * index].scalars.withUnsafeMutableBufferPointer { m in
                            slots[2 * index + 1].scalars.withUnsafeMutableBufferPointer { v in
                                for i in 0..<count {
                                    let d = g[i] + weightDecay * p[i]
                                    m[i] = beta1 * m[i] + (1 - beta1) * d
                                    v[i] = beta2 * v[i] + (1 - beta2) * d * d
                                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public var state: OptimizerState { OptimizerState(steps: steps, slots: moments) }

    public func restore(_ state: OptimizerState) throws {
        guard state.slots.count % 2 == 0 else {
            throw OptimizerStateError(description: "saved Adam state must hold two moments per parameter")
        }
        moments = state.slots
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
