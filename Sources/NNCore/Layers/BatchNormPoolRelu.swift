/// Batch norm, then a max pool whose windows do not overlap, then ReLU, in training run as one
/// pass forward and one backward (the order `Network` runs them in: it moves a pool that
/// follows a ReLU in front of it). The three layers keep their parameters and are the ones
/// that run everywhere else (inference, export, a pass that is not training).
///
/// Shape legend: x `[N, H, W, C]` (the batch norm's input), y `[N, outH, outW, C]`.
///
/// Forward: the batch statistics as `BatchNormLayer` computes them, then per output
/// relu(max over the window of (x − mean)·γ/σ + β), so the normalised image `[N, H, W, C]` is
/// never written. The values are those of the three layers to the bit.
///
/// Backward: the batch norm's gradient dz is zero except at the windows' winners (each input
/// is in at most one window), where it is dy where y > 0. So its sums Σdz and Σdz·(x − mean)
/// run over the outputs alone, in fixed blocks of output rows, and dx = a·dz − b − c·(x − mean)
/// is written in one pass over x. The sums are added in another order than the batch norm
/// layer's, so gradients match the three layers to rounding, not to the bit (the order is
/// fixed for any thread count and kernel set).
final class BatchNormPoolRelu: Layer {
    let norm: BatchNormLayer
    let pool: MaxPool2DLayer
    let relu: ActivationLayer
    var needsInputGradient: Bool {
        get { norm.needsInputGradient }
        set { norm.needsInputGradient = newValue }
    }
    /// Whether the last forward ran fused (else the layers ran one by one).
    private var fused = false
    private var output = Tensor(zeros: [0])
    /// The winning input of every output value, as an offset inside its sample, and its value.
    private var winners: [Int32] = []
    private var winnerInputs: [Float] = []
    /// Between `accumulateGradients` and `releaseGradient`: dy and the terms [a | b | c].
    private var gradOutput = Tensor(zeros: [0])
    private var gradientTerms: [Float] = []

    /// The layers as a fusable triple, or nil: batch norm, a max pool with stride ≥ pool, ReLU.
    init?(_ layers: ArraySlice<Layer>) {
        guard layers.count == 3, let norm = layers.first as? BatchNormLayer,
            let pool = layers.dropFirst().first as? MaxPool2DLayer,
            let relu = layers.last as? ActivationLayer, relu.function == .relu,
            pool.stride.height >= pool.pool.height, pool.stride.width >= pool.pool.width
        else { return nil }
        (self.norm, self.pool, self.relu) = (norm, pool, relu)
    }

    var parameters: [Parameter] { norm.parameters }

    func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        fused = context.training && input.rank == 4 && input.shape[3] == norm.features && input.count > 0
        guard fused else {
            return relu.forward(pool.forward(norm.forward(input, &context), &context), &context)
        }
        norm.prepareStatistics(input, context)
        let p = PoolGeometry(input: input.shape, pool: pool.pool, stride: pool.stride)
        precondition(p.inputSize <= Int(Int32.max), "maxpool2d sample too large for 32-bit winner offsets")
        var y = Tensor(uninitialized: p.outputShape)
        if winners.count != y.count {
            winners = [Int32](repeating: 0, count: y.count)
            winnerInputs = [Float](repeating: 0, count: y.count)
        }
        let coefficients = norm.mean + norm.scale + norm.bias.value.scalars
        input.scalars.withUnsafeBufferPointer { x in
            y.scalars.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { w in
                    winnerInputs.withUnsafeMutableBufferPointer { wx in
                        coefficients.withUnsafeBufferPointer { k in
                            let affine = Affine(k.baseAddress!, channels: p.channels)
                            let (x, y, w, wx) = (x.baseAddress!, y.baseAddress!, w.baseAddress!, wx.baseAddress!)
                            Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                                let xs = x + n * p.inputSize
                                p.forEachOutput(sample: n) { out, firstTap in
                                    Self.window(
                                        xs, p, firstTap: firstTap, affine, y: y + out, winners: w + out,
                                        winnerInputs: wx + out)
                                }
                            }
                        }
                    }
                }
            }
        }
        output = y
        return y
    }

    func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard fused else {
            return norm.backward(pool.backward(relu.backward(gradOutput, &context), &context), &context)
        }
        accumulateGradients(gradOutput, context)
        defer { releaseGradient() }
        guard norm.needsInputGradient else { return Tensor(zeros: [0]) }
        let p = pooling
        var gradInput = Tensor(uninitialized: norm.input.shape)
        gradInput.scalars.withUnsafeMutableBufferPointer { dx in
            let dx = dx.baseAddress!
            Parallel.forEach(chunks: p.batch, threads: context.threads) { n in
                inputGradient(sample: n, into: dx + n * p.inputSize)
            }
        }
        return gradInput
    }

    /// Whether the last forward ran fused, so that `accumulateGradients` and `inputGradient`
    /// apply (else `backward` runs the three layers).
    var ranFused: Bool { fused }

    private var pooling: PoolGeometry {
        PoolGeometry(input: norm.input.shape, pool: pool.pool, stride: pool.stride)
    }

    /// The first half of a fused backward: the batch norm's sums over the outputs, its
    /// parameter gradients, and the coefficients `inputGradient` needs (kept with dy until
    /// `releaseGradient`).
    func accumulateGradients(_ gradOutput: Tensor, _ context: PassContext) {
        precondition(gradOutput.count == output.count, "batchnorm-pool-relu backward needs the forward's gradient")
        let c = norm.features, p = pooling
        let outputRows = p.batch * p.outputPixels
        var sums = [Float](repeating: 0, count: 2 * c)
        let mean = norm.mean
        output.scalars.withUnsafeBufferPointer { y in
            gradOutput.scalars.withUnsafeBufferPointer { dy in
                winnerInputs.withUnsafeBufferPointer { wx in
                    mean.withUnsafeBufferPointer { mean in
                        sums.withUnsafeMutableBufferPointer { sums in
                            let (y, dy, wx, mean) = (
                                y.baseAddress!, dy.baseAddress!, wx.baseAddress!, mean.baseAddress!
                            )
                            RowBlocks(rows: outputRows, features: c).sum(
                                width: 2 * c, into: sums.baseAddress!, threads: context.threads
                            ) { block, partial in
                                for row in block {
                                    Self.addSums(
                                        y: y + row * c, dy: dy + row * c, winnerInputs: wx + row * c, mean: mean,
                                        channels: c, into: partial)
                                }
                            }
                        }
                    }
                }
            }
        }
        gradientTerms = norm.accumulateGradients(sums: sums, rows: norm.input.count / c)
        self.gradOutput = gradOutput
    }

    /// The second half: the batch norm's input gradient for sample n, into dxs `[H, W, C]`.
    /// Samples are independent, so callers may run them on any threads.
    func inputGradient(sample n: Int, into dxs: UnsafeMutablePointer<Float>) {
        let p = pooling, c = norm.features
        // Windows that cover every input once: dx in one pass, window by window.
        let tiled =
            p.stride.height == p.pool.height && p.stride.width == p.pool.width
            && p.outputHeight * p.pool.height == p.height && p.outputWidth * p.pool.width == p.width
        norm.input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeBufferPointer { y in
                gradOutput.scalars.withUnsafeBufferPointer { dy in
                    winners.withUnsafeBufferPointer { w in
                        winnerInputs.withUnsafeBufferPointer { wx in
                            norm.mean.withUnsafeBufferPointer { mean in
                                gradientTerms.withUnsafeBufferPointer { k in
                                    let (y, dy, w, wx, mean) = (
                                        y.baseAddress!, dy.baseAddress!, w.baseAddress!, wx.baseAddress!,
                                        mean.baseAddress!
                                    )
                                    let xs = x.baseAddress! + n * p.inputSize
                                    let terms = GradientTerms(k.baseAddress!, channels: c)
                                    if tiled {
                                        p.forEachOutput(sample: n) { out, firstTap in
                                            Self.gradientOverWindow(
                                                xs, dxs, p, firstTap: firstTap, y: y + out, dy: dy + out,
                                                winners: w + out, mean: mean, terms)
                                        }
                                        return
                                    }
                                    Self.gradientWithoutWinners(
                                        xs, dxs, pixels: p.height * p.width, channels: c, mean: mean, terms)
                                    for pixel in (n * p.outputPixels)..<((n + 1) * p.outputPixels) {
                                        Self.gradientAtWinners(
                                            y: y + pixel * c, dy: dy + pixel * c, winners: w + pixel * c,
                                            winnerInputs: wx + pixel * c, mean: mean, terms, channels: c, dx: dxs)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Drops the gradient `accumulateGradients` kept.
    func releaseGradient() {
        gradOutput = Tensor(zeros: [0])
    }
}
