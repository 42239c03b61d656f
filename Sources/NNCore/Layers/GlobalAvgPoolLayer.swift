/// The mean over every position of each channel: `[N, T, C]` or `[N, H, W, C]` → `[N, C]`
/// (PyTorch's `AdaptiveAvgPool1d(1)` / `AdaptiveAvgPool2d(1)` followed by a flatten, on
/// channels-last data). Backward spreads dy / positions to every position.
public final class GlobalAvgPoolLayer: Layer {
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let n = input.batchSize, c = input.shape.last!, positions = input.sampleSize / max(c, 1)
        if context.training { inputShape = input.shape }
        var output = Tensor(zeros: [n, c])
        let scale = 1 / Float(positions)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                Parallel.forEach(chunks: n, threads: context.threads) { sample in
                    let xs = x.baseAddress! + sample * positions * c, ys = y.baseAddress! + sample * c
                    for position in 0..<positions {
                        for channel in 0..<c { ys[channel] += xs[position * c + channel] }
                    }
                    for channel in 0..<c { ys[channel] *= scale }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        let c = inputShape.last!, positions = inputShape.dropFirst().reduce(1, *) / max(c, 1)
        let n = inputShape[0], scale = 1 / Float(positions)
        var gradInput = Tensor(uninitialized: inputShape)
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                for sample in 0..<n {
                    for position in 0..<positions {
                        let row = dx.baseAddress! + (sample * positions + position) * c
                        for channel in 0..<c { row[channel] = dy[sample * c + channel] * scale }
                    }
                }
            }
        }
        return gradInput
    }
}
