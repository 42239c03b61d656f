/// Max pooling over channels-last images with valid padding.
///
/// Shape legend: x `[N, H, W, C]`, y `[N, outH, outW, C]` with outH = (H − ph) / sh + 1.
/// Ties go to the first tap in (ky, kx) order, as in PyTorch's CPU kernel. In training,
/// forward records each output's winner (its offset inside the sample), and backward adds
/// dy to the winners in output order (windows overlap when the stride is smaller than the
/// pool, so one input can win several times).
public final class MaxPool2DLayer: Layer {
    public let pool: IntPair
    public let stride: IntPair
    public var needsInputGradient = true
    /// The last training input's shape and its winners, one per output value.
    private var inputShape: [Int] = [0]
    private var winners: [Int32] = []

    public init(pool: IntPair, stride: IntPair) {
        precondition(pool.height > 0 && pool.width > 0 && stride.height > 0 && stride.width > 0)
        self.pool = pool
        self.stride = stride
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let p = PoolGeometry(input: input.shape, pool: pool, stride: stride)
        precondition(p.inputSize <= Int(Int32.max), "maxpool2d sample too large for 32-bit winner offsets")
        var output = Tensor(uninitialized: p.outputShape)
        let recording = context.training
        if recording {
            inputShape = input.shape
            if winners.count != output.count { winners = [Int32](repeating: 0, count: output.count) }
        }
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { w in
                    let (x, y) = (x.baseAddress!, y.baseAddress!)
                    let end = x + p.batch * p.inputSize
                    let w = recording ? w.baseAddress : nil
                    Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                        let xs = x + n * p.inputSize
                        p.forEachOutput(sample: n) { out, firstTap in
                            Self.maximum(
                                xs, taps: p, firstTap: firstTap, end: end, into: y + out, winners: w.map { $0 + out })
                        }
                    }
                }
            }
        }
        return output
    }

    /// y[ch] = max over the window of x[tap + ch], eight channels at a time; `winners[ch]`
    /// (when recording) gets the winning tap's offset. Strictly larger taps win, so the first
    /// of equal taps keeps it. The last channels (fewer than 8) are computed as a full vector
    /// too, reading past them into the next pixel where x goes on that far (before `end`),
    /// and only their lanes are stored.
    @inline(__always)
    static func maximum(
        _ xs: UnsafePointer<Float>, taps p: PoolGeometry, firstTap: Int,
        end: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>?
    ) {
        let c = p.channels
        var ch = 0
        while ch + 8 <= c {
            let (best, index) = eightChannels(xs, taps: p, firstTap: firstTap, from: ch)
            UnsafeMutableRawPointer(y + ch).storeBytes(of: best, as: SIMD8<Float>.self)
            if let winners { UnsafeMutableRawPointer(winners + ch).storeBytes(of: index, as: SIMD8<Int32>.self) }
            ch += 8
        }
        let lastTap = firstTap + ((p.pool.height - 1) * p.width + p.pool.width - 1) * c
        if ch < c && xs + lastTap + ch + 8 <= end {
            let (best, index) = eightChannels(xs, taps: p, firstTap: firstTap, from: ch)
            for lane in 0..<(c - ch) {
                y[ch + lane] = best[lane]
                winners?[ch + lane] = index[lane]
            }
            return
        }
        while ch < c {
            var best = xs[firstTap + ch], index = firstTap + ch
            p.forEachTap(from: firstTap) { tap in
                if xs[tap + ch] > best { best = xs[tap + ch]; index = tap + ch }
            }
            y[ch] = best
            winners?[ch] = Int32(index)
            ch += 1
        }
    }

    /// The window's maximum of channels ch..<ch+8 and the offsets of the winning taps.
    @inline(__always)
    private static func eightChannels(
        _ xs: UnsafePointer<Float>, taps p: PoolGeometry, firstTap: Int,
        from ch: Int
    ) -> (SIMD8<Float>, SIMD8<Int32>) {
        typealias V = SIMD8<Float>
        typealias I = SIMD8<Int32>
        let lanes = I(0, 1, 2, 3, 4, 5, 6, 7)
        var best = UnsafeRawPointer(xs + firstTap + ch).loadUnaligned(as: V.self)
        var index = I(repeating: Int32(firstTap + ch)) &+ lanes
        p.forEachTap(from: firstTap) { tap in
            let value = UnsafeRawPointer(xs + tap + ch).loadUnaligned(as: V.self)
            let wins = value .> best
            best.replace(with: value, where: wins)
            index.replace(with: I(repeating: Int32(tap + ch)) &+ lanes, where: wins)
        }
        return (best, index)
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(gradOutput.count == winners.count, "maxpool backward needs the forward batch's gradient")
        let p = PoolGeometry(input: inputShape, pool: pool, stride: stride)
        // Zeroed per sample inside the parallel loop rather than all at once up front.
        var gradInput = Tensor(uninitialized: inputShape)
        let outputsPerSample = p.outputPixels * p.channels
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            winners.withUnsafeBufferPointer { w in
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    let (dy, w, dx) = (dy.baseAddress!, w.baseAddress!, dx.baseAddress!)
                    // Chunks by sample keep every write inside its sample.
                    Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                        let dxs = dx + n * p.inputSize, first = n * outputsPerSample
                        dxs.update(repeating: 0, count: p.inputSize)
                        for out in first..<(first + outputsPerSample) { dxs[Int(w[out])] += dy[out] }
                    }
                }
            }
        }
        return gradInput
    }
}
