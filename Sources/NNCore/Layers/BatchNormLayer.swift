/// Batch normalisation over the last axis: features of `[N, F]`, channels of `[N, H, W, C]`.
///
/// Shape legend: x viewed as `[M, F]` with M = N (or N·H·W) rows; γ (`weight`), β (`bias`),
/// `running_mean`, `running_var` all `[F]`.
///
/// Training normalises with the batch statistics, the variance biased (divided by M), as
/// PyTorch does, and updates the running statistics Keras-style:
/// running = momentum·running + (1 − momentum)·batch, with the unbiased variance (·M/(M−1))
/// as PyTorch keeps it; so `momentum` m here is PyTorch's 1 − m. With M = 1 the biased
/// variance (0) stands in for the undefined unbiased one. Inference normalises with the
/// running statistics.
///
/// Backward (training), with x̂ = (x − mean)/σ and σ = √(var + ε):
/// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/(M·σ) · (M·dy − dβ − x̂·dγ).
/// Sums run over fixed blocks of rows (`RowBlocks`), then over the blocks in order, so the
/// order is fixed for any thread count.
public final class BatchNormLayer: Layer {
    public let features: Int
    public let momentum: Float
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public var needsInputGradient = true
    /// The last training input (kept, not copied) and its batch mean and 1/σ.
    private(set) var input = Tensor(zeros: [0])
    private(set) var mean: [Float]
    private var inverseDeviation: [Float]

    public init(features: Int, momentum: Float, epsilon: Float) {
        precondition(features > 0 && momentum >= 0 && momentum < 1 && epsilon > 0)
        self.features = features
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(name: "weight", value: Tensor(repeating: 1, shape: [features]))
        bias = Parameter(name: "bias", value: Tensor(zeros: [features]))
        runningMean = Parameter(name: "running_mean", value: Tensor(zeros: [features]), trainable: false)
        runningVar = Parameter(name: "running_var", value: Tensor(repeating: 1, shape: [features]), trainable: false)
        mean = [Float](repeating: 0, count: features)
        inverseDeviation = [Float](repeating: 1, count: features)
    }

    public var parameters: [Parameter] { [weight, bias, runningMean, runningVar] }

    /// Sets `mean` and `inverseDeviation`: from the batch in training (keeping the input for
    /// backward and updating the running statistics), else from the running statistics.
    func prepareStatistics(_ input: Tensor, _ context: PassContext) {
        let f = features, rows = input.count / f
        var variance = [Float](repeating: 0, count: f)
        if context.training {
            self.input = input
            mean = [Float](repeating: 0, count: f)
            let blocks = RowBlocks(rows: rows, features: f)
            input.scalars.withUnsafeBufferPointer { x in
                mean.withUnsafeMutableBufferPointer { mean in
                    variance.withUnsafeMutableBufferPointer { variance in
                        let (x, mean, variance) = (x.baseAddress!, mean.baseAddress!, variance.baseAddress!)
                        // Per block, in cache: the block's mean, then its centred sum of squares
                        // (two passes avoid cancellation); blocks merged in order (Chan et al.).
                        var merged = 0
                        func combine(_ block: Range<Int>, _ partial: UnsafePointer<Float>) {
                            let before = Float(merged), added = Float(block.count)
                            merged += block.count
                            let total = Float(merged)
                            for j in 0..<f {
                                let delta = partial[j] - mean[j]
                                mean[j] += delta * (added / total)
                                variance[j] += partial[f + j] + delta * delta * (before * added / total)
                            }
                        }
                        blocks.reduce(
                            width: 2 * f, threads: context.threads,
                            { block, partial in Self.addStatistics(x, rows: block, features: f, into: partial) },
                            combine: combine)
                        for j in 0..<f { variance[j] /= Float(rows) }
                    }
                }
            }
            let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
            for j in 0..<f {
                runningMean.value.scalars[j] = momentum * runningMean.value.scalars[j] + (1 - momentum) * mean[j]
                runningVar.value.scalars[j] =
                    momentum * runningVar.value.scalars[j] + (1 - momentum) * variance[j] * unbias
            }
        } else {
            mean = runningMean.value.scalars
            variance = runningVar.value.scalars
        }
        for j in 0..<f { inverseDeviation[j] = 1 / (variance[j] + epsilon).squareRoot() }
    }

    /// γ/σ per feature, for the statistics `prepareStatistics` set.
    var scale: [Float] {
        (0..<features).map { weight.value.scalars[$0] * inverseDeviation[$0] }
    }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(
            input.shape.last == features, "batchnorm expects \(features) features on the last axis, got \(input.shape)")
        let f = features, rows = input.count / f
        prepareStatistics(input, context)
        // y = (x − mean)·(γ/σ) + β, one pass.
        let scale = self.scale
        var output = Tensor(uninitialized: input.shape)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                mean.withUnsafeBufferPointer { mean in
                    scale.withUnsafeBufferPointer { scale in
                        bias.value.scalars.withUnsafeBufferPointer { beta in
                            let (mean, scale, beta) = (mean.baseAddress!, scale.baseAddress!, beta.baseAddress!)
                            let (x, y) = (x.baseAddress!, y.baseAddress!)
                            RowBlocks(rows: rows, features: f).forEach(threads: context.threads) { block in
                                for row in block {
                                    let xs = x + row * f, ys = y + row * f
                                    for j in 0..<f { ys[j] = (xs[j] - mean[j]) * scale[j] + beta[j] }
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
        let f = features, rows = gradOutput.count / f
        precondition(input.count == gradOutput.count, "batchnorm backward needs a training forward first")
        let blocks = RowBlocks(rows: rows, features: f)
        // sums[0..<f] = Σ dy, sums[f..<2f] = Σ dy·(x − mean).
        var sums = [Float](repeating: 0, count: 2 * f)
        var gradInput = needsInputGradient ? Tensor(uninitialized: gradOutput.shape) : Tensor(zeros: [0])
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            input.scalars.withUnsafeBufferPointer { x in
                mean.withUnsafeBufferPointer { mean in
                    sums.withUnsafeMutableBufferPointer { sums in
                        let (x, dy, mean) = (x.baseAddress!, dy.baseAddress!, mean.baseAddress!)
                        blocks.sum(width: 2 * f, into: sums.baseAddress!, threads: context.threads) { block, partial in
                            let s1 = partial, s2 = partial + f
                            for row in block {
                                let xs = x + row * f, dys = dy + row * f
                                for j in 0..<f {
                                    s1[j] += dys[j]
                                    s2[j] += dys[j] * (xs[j] - mean[j])
                                }
                            }
                        }
                    }
                }
            }
        }
        let coefficients = accumulateGradients(sums: sums, rows: rows)
        guard needsInputGradient else { return gradInput }
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            input.scalars.withUnsafeBufferPointer { x in
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    mean.withUnsafeBufferPointer { mean in
                        coefficients.withUnsafeBufferPointer { k in
                            let (mean, a, b, c) = (
                                mean.baseAddress!, k.baseAddress!, k.baseAddress! + f, k.baseAddress! + 2 * f
                            )
                            let (x, dy, dx) = (x.baseAddress!, dy.baseAddress!, dx.baseAddress!)
                            blocks.forEach(threads: context.threads) { block in
                                for row in block {
                                    let xs = x + row * f, dys = dy + row * f, dxs = dx + row * f
                                    for j in 0..<f { dxs[j] = a[j] * dys[j] - b[j] - c[j] * (xs[j] - mean[j]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return gradInput
    }

    /// From sums[0..<F] = Σ dy and sums[F..<2F] = Σ dy·(x − mean) over M rows: adds dγ and dβ
    /// to the gradients and returns the coefficients of dx = a·dy − b − c·(x − mean), laid out
    /// [a | b | c], with a = γ/σ, b = a·Σdy/M, c = a·Σdy·x̂/(M·σ).
    func accumulateGradients(sums: [Float], rows: Int) -> [Float] {
        let f = features, m = Float(rows)
        var coefficients = [Float](repeating: 0, count: 3 * f)
        for j in 0..<f {
            // Σ dy·x̂ = (1/σ)·Σ dy·(x − mean).
            let sumDy = sums[j], sumDyXhat = sums[f + j] * inverseDeviation[j]
            weight.gradient.scalars[j] += sumDyXhat
            bias.gradient.scalars[j] += sumDy
            let a = weight.value.scalars[j] * inverseDeviation[j]
            coefficients[j] = a
            coefficients[f + j] = a * sumDy / m
            coefficients[2 * f + j] = a * sumDyXhat * inverseDeviation[j] / m
        }
        return coefficients
    }
}
