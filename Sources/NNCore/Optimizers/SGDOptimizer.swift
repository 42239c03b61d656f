/// Stochastic gradient descent as `torch.optim.SGD` (dampening 0):
/// g ← g + wd·p; buf ← μ·buf + g (buf = g on the first step); p ← p − lr·(g + μ·buf) with
/// Nesterov, p ← p − lr·buf without; plain p ← p − lr·g when μ = 0.
public final class SGDOptimizer: Optimizer {
    let momentum: Float
    let nesterov: Bool
    let weightDecay: Float
    private var buffers: [Tensor] = []
    private var steps = 0

    public init(momentum: Float, nesterov: Bool, weightDecay: Float) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        if momentum > 0 && buffers.isEmpty {
            buffers = parameters.map { Tensor(zeros: $0.value.shape) }
        }
        let first = steps == 0
        for (index, parameter) in parameters.enumerated() {
            let count = parameter.value.count
            parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                parameter.gradient.scalars.withUnsafeBufferPointer { g in
                    if momentum == 0 {
                        for i in 0..<count { p[i] -= learningRate * (g[i] + weightDecay * p[i]) }
                        return
                    }
                    buffers[index].scalars.withUnsafeMutableBufferPointer { buf in
                        for i in 0..<count {
                            let d = g[i] + weightDecay * p[i]
                            buf[i] = first ? d : momentum * buf[i] + d
                            p[i] -= learningRate * (nesterov ? d + momentum * buf[i] : buf[i])
                        }
                    }
                }
            }
        }
        steps += 1
    }

    public var state: OptimizerState { OptimizerState(steps: steps, slots: buffers) }

    public func restore(_ state: OptimizerState) throws {
        guard state.slots.isEmpty || momentum > 0 else {
            throw OptimizerStateError(description: "saved SGD state has momentum buffers but momentum is 0")
        }
        buffers = state.slots
        steps = state.steps
    }
}
