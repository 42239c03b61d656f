/// A fully connected layer y = x · Wᵀ + b.
///
/// Shapes: x `[N, in]`, W `[out, in]` (PyTorch's layout, so weights export as they are),
/// b `[out]`, y `[N, out]`. Forward is one `nt` GEMM; backward is dW += dyᵀ · x (`tn`),
/// db += Σ_n dy, and dx = dy · W (`nn`). On sequences x `[N, T, in]` → y `[N, T, out]` it acts
/// on every step: the N·T steps are the rows of the same products.
public final class DenseLayer: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var needsInputGradient = true
    private var input = Tensor(zeros: [0])

    public init(inputSize: Int, outputSize: Int, useBias: Bool, weight: Tensor) {
        precondition(weight.shape == [outputSize, inputSize])
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.weight = Parameter(name: "weight", value: weight)
        self.bias = useBias ? Parameter(name: "bias", value: Tensor(zeros: [outputSize])) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        var output = Tensor(uninitialized: Self.outputShape(input.shape, outputSize))
        forward(input, into: &output, threads: context.threads)
        if context.training { self.input = input }
        return output
    }

    /// `[N, in]` → `[N, out]`, `[N, T, in]` → `[N, T, out]`.
    static func outputShape(_ input: [Int], _ outputSize: Int) -> [Int] {
        input.count <= 2 ? [input.first ?? 1, outputSize] : Array(input.dropLast()) + [outputSize]
    }

    /// y = x · Wᵀ + b into `output` `[N, (T,) out]`, which the caller may reuse across calls.
    func forward(_ input: Tensor, into output: inout Tensor, threads: Int) {
        let n = input.rank <= 2 ? input.batchSize : input.count / inputSize
        precondition(
            input.rank <= 2 ? input.sampleSize == inputSize : input.shape.last == inputSize,
            "dense expects \(inputSize) features, got \(input.shape)")
        precondition(output.count == n * outputSize)
        input.scalars.withUnsafeBufferPointer { x in
            weight.value.scalars.withUnsafeBufferPointer { w in
                output.scalars.withUnsafeMutableBufferPointer { y in
                    if let bias {
                        bias.value.scalars.withUnsafeBufferPointer { b in
                            Im2Col.repeatRow(b.baseAddress!, rows: n, width: outputSize, into: y.baseAddress!)
                        }
                    }
                    Gemm.multiply(
                        .nt, m: n, n: outputSize, k: inputSize, a: x.baseAddress!, b: w.baseAddress!,
                        c: y.baseAddress!, accumulate: bias != nil, threads: threads)
                }
            }
        }
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let n = gradOutput.count / outputSize
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            input.scalars.withUnsafeBufferPointer { x in
                weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                    Gemm.multiply(
                        .tn, m: outputSize, n: inputSize, k: n, a: dy.baseAddress!, b: x.baseAddress!,
                        c: dw.baseAddress!, accumulate: true, threads: context.threads)
                }
            }
            if let bias {
                bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                    for row in 0..<n {
                        for j in 0..<outputSize { db[j] += dy[row * outputSize + j] }
                    }
                }
            }
        }
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        var gradInput = Tensor(uninitialized: input.rank <= 2 ? [n, inputSize] : input.shape)
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            weight.value.scalars.withUnsafeBufferPointer { w in
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    Gemm.multiply(
                        .nn, m: n, n: inputSize, k: outputSize, a: dy.baseAddress!, b: w.baseAddress!,
                        c: dx.baseAddress!, accumulate: false, threads: context.threads)
                }
            }
        }
        return gradInput
    }
}
