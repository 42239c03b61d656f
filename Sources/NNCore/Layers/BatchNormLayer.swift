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
/// Backward (training), with x̂ the normalised input and σ = √(var + ε):
/// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/(M·σ) · (M·dy − dβ − x̂·dγ).
public final class BatchNormLayer: Layer {
    public let features: Int
    public let momentum: Float
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public var needsInputGradient = true
    /// x̂ of the last training forward, and 1/σ per feature.
    private var normalized: [Float] = []
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
        inverseDeviation = [Float](repeating: 1, count: features)
    }

    public var parameters: [Parameter] { [weight, bias, runningMean, runningVar] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(input.shape.last == features, "batchnorm expects \(features) features on the last axis, got \(input.shape)")
        let f = features, rows = input.count / f
        var mean = [Float](repeating: 0, count: f), variance = [Float](repeating: 0, count: f)
        if context.training {
            input.scalars.withUnsafeBufferPointer { x in
                // Two passes, rows in order: a fixed summation order and no cancellation.
                for row in 0..<rows { Im2Col.add(x.baseAddress! + row * f, into: &mean, count: f) }
                for j in 0..<f { mean[j] /= Float(rows) }
                for row in 0..<rows {
                    for j in 0..<f {
                        let d = x[row * f + j] - mean[j]
                        variance[j] += d * d
                    }
                }
                for j in 0..<f { variance[j] /= Float(rows) }
            }
            let unbias = rows > 1 ? Float(rows) / Float(rows - 1) : 1
            for j in 0..<f {
                runningMean.value.scalars[j] = momentum * runningMean.value.scalars[j] + (1 - momentum) * mean[j]
                runningVar.value.scalars[j] = momentum * runningVar.value.scalars[j] + (1 - momentum) * variance[j] * unbias
            }
        } else {
            mean = runningMean.value.scalars
            variance = runningVar.value.scalars
        }
        for j in 0..<f { inverseDeviation[j] = 1 / (variance[j] + epsilon).squareRoot() }
        var output = input
        if context.training && normalized.count != input.count { normalized = [Float](repeating: 0, count: input.count) }
        let keep = context.training
        output.scalars.withUnsafeMutableBufferPointer { y in
            normalized.withUnsafeMutableBufferPointer { xhat in
                weight.value.scalars.withUnsafeBufferPointer { gamma in
                    bias.value.scalars.withUnsafeBufferPointer { beta in
                        for row in 0..<rows {
                            let base = row * f
                            for j in 0..<f {
                                let z = (y[base + j] - mean[j]) * inverseDeviation[j]
                                if keep { xhat[base + j] = z }
                                y[base + j] = gamma[j] * z + beta[j]
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
        precondition(normalized.count == gradOutput.count, "batchnorm backward needs a training forward first")
        var sumDy = [Float](repeating: 0, count: f), sumDyXhat = [Float](repeating: 0, count: f)
        var gradInput = gradOutput
        gradInput.scalars.withUnsafeMutableBufferPointer { g in
            normalized.withUnsafeBufferPointer { xhat in
                for row in 0..<rows {
                    for j in 0..<f {
                        sumDy[j] += g[row * f + j]
                        sumDyXhat[j] += g[row * f + j] * xhat[row * f + j]
                    }
                }
                for j in 0..<f {
                    weight.gradient.scalars[j] += sumDyXhat[j]
                    bias.gradient.scalars[j] += sumDy[j]
                }
                guard needsInputGradient else { return }
                let m = Float(rows)
                var scale = [Float](repeating: 0, count: f)
                for j in 0..<f { scale[j] = weight.value.scalars[j] * inverseDeviation[j] / m }
                for row in 0..<rows {
                    for j in 0..<f {
                        let i = row * f + j
                        g[i] = scale[j] * (m * g[i] - sumDy[j] - xhat[i] * sumDyXhat[j])
                    }
                }
            }
        }
        return gradInput
    }
}
