/// Max pooling over channels-last images with valid padding.
///
/// Shape legend: x `[N, H, W, C]`, y `[N, outH, outW, C]` with outH = (H − ph) / sh + 1.
/// Ties go to the first tap in (ky, kx) order, as in PyTorch's CPU kernel. Rather than
/// store winner indices, backward finds each winner again as the first tap equal to the
/// output (the same tap), which keeps forward a plain vectorised maximum. dy is added to the
/// winners, since windows overlap when the stride is smaller than the pool.
public final class MaxPool2DLayer: Layer {
    public let pool: IntPair
    public let stride: IntPair
    public var needsInputGradient = true
    /// The last training input and output, kept (not copied) for backward.
    private var input = Tensor(zeros: [0])
    private var output = Tensor(zeros: [0])

    public init(pool: IntPair, stride: IntPair) {
        precondition(pool.height > 0 && pool.width > 0 && stride.height > 0 && stride.width > 0)
        self.pool = pool
        self.stride = stride
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: input.shape, pool: pool, stride: stride)
        var output = Tensor(zeros: p.outputShape)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                let (x, y) = (x.baseAddress!, y.baseAddress!)
                Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                    let xs = x + n * p.inputSize, c = p.channels
                    p.forEachOutput(sample: n) { out, firstTap in
                        let yo = y + out
                        (yo).update(from: xs + firstTap, count: c)
                        p.forEachTap(from: firstTap) { tap in
                            let xt = xs + tap
                            // Strictly larger taps win, so the first of equal taps keeps it.
                            for ch in 0..<c { yo[ch] = xt[ch] > yo[ch] ? xt[ch] : yo[ch] }
                        }
                    }
                }
            }
        }
        if context.training {
            self.input = input
            self.output = output
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: input.shape, pool: pool, stride: stride)
        precondition(gradOutput.count == output.count, "maxpool backward needs the forward batch's gradient")
        var gradInput = Tensor(zeros: input.shape)
        let c = p.channels
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeBufferPointer { y in
                gradOutput.scalars.withUnsafeBufferPointer { dy in
                    gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                        let (x, y, dy, dx) = (x.baseAddress!, y.baseAddress!, dy.baseAddress!, dx.baseAddress!)
                        // Chunks by sample keep every write inside its sample.
                        Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                            let xs = x + n * p.inputSize, dxs = dx + n * p.inputSize
                            // pending[ch] is 1 until channel ch's winner is found: float selects
                            // rather than branches, so the channel loop vectorises.
                            var pending = [Float](repeating: 1, count: c)
                            pending.withUnsafeMutableBufferPointer { pending in
                                let pending = pending.baseAddress!
                                p.forEachOutput(sample: n) { out, firstTap in
                                    pending.update(repeating: 1, count: c)
                                    let yo = y + out, dyo = dy + out
                                    p.forEachTap(from: firstTap, includingFirst: true) { tap in
                                        let xt = xs + tap, dxt = dxs + tap
                                        for ch in 0..<c {
                                            let hit: Float = xt[ch] == yo[ch] ? pending[ch] : 0
                                            dxt[ch] += hit > 0 ? dyo[ch] : 0
                                            pending[ch] -= hit
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
