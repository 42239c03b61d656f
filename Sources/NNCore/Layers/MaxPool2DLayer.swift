/// Max pooling over channels-last images with valid padding.
///
/// Shape legend: x `[N, H, W, C]`, y `[N, outH, outW, C]` with outH = (H − ph) / sh + 1.
/// Each output keeps the index of its winner; ties go to the first tap in (ky, kx) order,
/// as PyTorch's CPU kernel does. Backward routes dy to the winners (added, since windows may
/// overlap when the stride is smaller than the pool).
public final class MaxPool2DLayer: Layer {
    public let pool: IntPair
    public let stride: IntPair
    public var needsInputGradient = true
    /// Winner of every output, as an offset inside its sample.
    private var winners: [Int32] = []
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
        if winners.count < output.count { winners = [Int32](repeating: 0, count: output.count) }
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { index in
                    let (x, y, index) = (x.baseAddress!, y.baseAddress!, index.baseAddress!)
                    Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                        let xs = x + n * p.inputSize
                        p.forEachOutput(sample: n) { out, firstTap in
                            let c = p.channels
                            // Start from the first tap, then let strictly larger taps win.
                            for ch in 0..<c {
                                y[out + ch] = xs[firstTap + ch]
                                index[out + ch] = Int32(firstTap + ch)
                            }
                            p.forEachTap(from: firstTap) { tap in
                                for ch in 0..<c where xs[tap + ch] > y[out + ch] {
                                    y[out + ch] = xs[tap + ch]
                                    index[out + ch] = Int32(tap + ch)
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: inputShape, pool: pool, stride: stride)
        var gradInput = Tensor(zeros: inputShape)
        let outputSize = p.outputPixels * p.channels
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                winners.withUnsafeBufferPointer { index in
                    let (dy, dx, index) = (dy.baseAddress!, dx.baseAddress!, index.baseAddress!)
                    Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                        let dxs = dx + n * p.inputSize
                        for out in (n * outputSize)..<((n + 1) * outputSize) {
                            dxs[Int(index[out])] += dy[out]
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
