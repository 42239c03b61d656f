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
        // On the first step PyTorch sets buf = g, which equals μ·0 + g: no special case.
        for (index, parameter) in parameters.enumerated() {
            let count = parameter.value.count
            parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                parameter.gradient.scalars.withUnsafeBufferPointer { g in
                    if momentum == 0 {
                        update(count, p.baseAddress!, g.baseAddress!, nil, learningRate)
                    } else {
                        buffers[index].scalars.withUnsafeMutableBufferPointer { buf in
                            update(count, p.baseAddress!, g.baseAddress!, buf.baseAddress!, learningRate)
                        }
                    }
                }
            }
        }
        steps += 1
    }

    /// One parameter's update, eight lanes at a time, then the tail.
    @inline(__always)
    private func update(
        _ count: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ buf: UnsafeMutablePointer<Float>?, _ learningRate: Float
    ) {
        typealias V = SIMD8<Float>
        let rp = UnsafeMutableRawPointer(p), rg = UnsafeRawPointer(g)
        let lr = V(repeating: learningRate), wd = V(repeating: weightDecay), mu = V(repeating: momentum)
        var i = 0
        while i + 8 <= count {
            let offset = i * 4
            var w = rp.loadUnaligned(fromByteOffset: offset, as: V.self)
            let d = rg.loadUnaligned(fromByteOffset: offset, as: V.self) + wd * w
            if let buf {
                let rb = UnsafeMutableRawPointer(buf)
                let b = mu * rb.loadUnaligned(fromByteOffset: offset, as: V.self) + d
                rb.storeBytes(of: b, toByteOffset: offset, as: V.self)
                w -= lr * (nesterov ? d + mu * b : b)
            } else {
                w -= lr * d
            }
            rp.storeBytes(of: w, toByteOffset: offset, as: V.self)
            i += 8
        }
        while i < count {
            let d = g[i] + weightDecay * p[i]
            if let buf {
                buf[i] = momentum * buf[i] + d
                p[i] -= learningRate * (nesterov ? d + momentum * buf[i] : buf[i])
            } else {
                p[i] -= learningRate * d
            }
            i += 1
        }
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
