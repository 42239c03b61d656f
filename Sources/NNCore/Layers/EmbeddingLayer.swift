/// A lookup table from token ids to vectors, as PyTorch's `nn.Embedding`.
///
/// Shape legend: x `[N, T]` token ids held as floats (integers in `[0, input_dim)`, which
/// `Network.checkTokens` and the service check before any pass), W `[input_dim, output_dim]`,
/// y `[N, T, output_dim]` with y[n, t] = W[x[n, t]]. Backward adds dy[n, t] into row x[n, t]
/// of dW in (n, t) order on one thread, so the sums never depend on the thread count. Token
/// ids have no gradient: the layer returns none.
public final class EmbeddingLayer: Layer {
    public let inputDim: Int
    public let outputDim: Int
    public let weight: Parameter
    public var needsInputGradient = false
    private var tokens: [Int] = []

    public init(inputDim: Int, outputDim: Int, weight: Tensor) {
        precondition(weight.shape == [inputDim, outputDim], "embedding weight must be [\(inputDim), \(outputDim)]")
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.weight = Parameter(name: "weight", value: weight)
    }

    /// N(0, 1)-like initial vectors as PyTorch draws them: uniform on ±√3 has variance 1.
    public convenience init(inputDim: Int, outputDim: Int, rng: inout SeededGenerator) {
        var table = Tensor(zeros: [inputDim, outputDim])
        let limit = Float(3).squareRoot()
        for i in 0..<table.count { table.scalars[i] = rng.uniform(-limit, limit) }
        self.init(inputDim: inputDim, outputDim: outputDim, weight: table)
    }

    public var parameters: [Parameter] { [weight] }

    /// The index of the first value that is not a token id in `[0, inputDim)`, if any.
    public static func firstInvalidToken(_ values: UnsafeBufferPointer<Float>, inputDim: Int) -> Int? {
        let limit = Float(inputDim)
        return values.firstIndex { !($0 >= 0 && $0 < limit && $0.rounded(.towardZero) == $0) }
    }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let d = outputDim
        let ids = input.scalars.map { Int($0) }
        precondition(ids.allSatisfy { $0 >= 0 && $0 < inputDim }, "embedding token ids must be checked before a pass")
        var output = Tensor(uninitialized: input.shape + [d])
        weight.value.scalars.withUnsafeBufferPointer { w in
            output.scalars.withUnsafeMutableBufferPointer { y in
                for (position, id) in ids.enumerated() {
                    (y.baseAddress! + position * d).update(from: w.baseAddress! + id * d, count: d)
                }
            }
        }
        if context.training { tokens = ids }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let d = outputDim
        precondition(gradOutput.count == tokens.count * d, "embedding backward needs the forward batch's gradient")
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                for (position, id) in tokens.enumerated() {
                    let row = dw.baseAddress! + id * d, source = dy.baseAddress! + position * d
                    for j in 0..<d { row[j] += source[j] }
                }
            }
        }
        return Tensor(zeros: [0])
    }
}
