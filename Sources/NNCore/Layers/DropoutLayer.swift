/// Inverted dropout: in training each value is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 − rate), so inference is the identity. Masks come from the
/// pass's seeded generator, so a seed fixes them: one draw from it seeds the generators of
/// each fixed block of rows (`RowBlocks`, `DropoutMask`), so blocks can run on several
/// threads and the mask does not depend on how many.
public final class DropoutLayer: Layer {
    public let rate: Float
    public var needsInputGradient = true
    private var mask: [Float] = []

    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1)
        self.rate = rate
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        guard context.training, rate > 0 else { return input }
        let keep = 1 / (1 - rate), rate = rate
        let width = input.sampleSize, rows = input.batchSize
        if mask.count != input.count { mask = [Float](repeating: 0, count: input.count) }
        var output = Tensor(uninitialized: input.shape)
        let base = context.rng.next()
        input.scalars.withUnsafeBufferPointer { x in
            mask.withUnsafeMutableBufferPointer { m in
                output.scalars.withUnsafeMutableBufferPointer { y in
                    guard let x = x.baseAddress, let m = m.baseAddress, let y = y.baseAddress else { return }
                    let blocks = RowBlocks(rows: rows, features: width)
                    blocks.forEach(threads: context.threads) { block in
                        // Eight streams per block, seeds 8 apart, so no two blocks share one.
                        var draws = DropoutMask(seed: base &+ 8 &* UInt64(block.lowerBound))
                        let first = block.lowerBound * width
                        draws.fill(
                            mask: m + first, x: x + first, y: y + first, count: block.count * width, rate: rate,
                            keep: keep)
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard rate > 0 else { return gradOutput }
        precondition(gradOutput.count == mask.count, "dropout backward needs the forward batch's gradient")
        var gradient = Tensor(uninitialized: gradOutput.shape)
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            mask.withUnsafeBufferPointer { m in
                gradient.scalars.withUnsafeMutableBufferPointer { g in
                    for i in 0..<g.count { g[i] = dy[i] * m[i] }
                }
            }
        }
        return gradient
    }
}
