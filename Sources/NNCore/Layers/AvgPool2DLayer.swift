/// Average pooling over channels-last images with valid padding: every output is the mean of
/// its ph·pw window (PyTorch's `AvgPool2d` with no padding divides by the full window).
///
/// Shape legend: x `[N, H, W, C]`, y `[N, outH, outW, C]` with outH = (H − ph) / sh + 1.
/// Backward spreads dy / (ph·pw) over the window, adding where windows overlap.
public final class AvgPool2DLayer: Layer {
    public let pool: IntPair
    public let stride: IntPair
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init(pool: IntPair, stride: IntPair) {
        precondition(pool.height > 0 && pool.width > 0 && stride.height > 0 && stride.width > 0)
        self.pool = pool
        self.stride = stride
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: input.shape, pool: pool, stride: stride)
        inputShape = input.shape
        var output = Tensor(zeros: p.outputShape)
        let scale = 1 / Float(pool.height * pool.width)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                let (x, y) = (x.baseAddress!, y.baseAddress!)
                Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                    let xs = x + n * p.inputSize
                    p.forEachOutput(sample: n) { out, firstTap in
                        p.forEachTap(from: firstTap, includingFirst: true) { tap in
                            Im2Col.add(xs + tap, into: y + out, count: p.channels)
                        }
                        for ch in 0..<p.channels { y[out + ch] *= scale }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: inputShape, pool: pool, stride: stride)
        var gradInput = Tensor(zeros: inputShape)
        let scale = 1 / Float(pool.height * pool.width)
        var scaled = gradOutput
        for i in 0..<scaled.count { scaled.scalars[i] *= scale }
        scaled.scalars.withUnsafeBufferPointer { dy in
            gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                let (dy, dx) = (dy.baseAddress!, dx.baseAddress!)
                Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                    let dxs = dx + n * p.inputSize
                    p.forEachOutput(sample: n) { out, firstTap in
                        p.forEachTap(from: firstTap, includingFirst: true) { tap in
                            Im2Col.add(dy + out, into: dxs + tap, count: p.channels)
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
