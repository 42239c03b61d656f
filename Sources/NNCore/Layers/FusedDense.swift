/// A dense layer for inference: its weight packed once as the GEMM's right-hand operand, the
/// input read in place as the left one, and the activation applied to each block of rows while
/// it is still in cache.
///
/// Why: `Gemm.multiply` packs both operands on every call. At batch 256 for W1's first layer
/// (784 → 256) packing the weight and the input costs about a tenth of the product itself.
/// `PackedMatrix` walks the same depth blocks with the same micro-kernel as `Gemm`, so for
/// batches of at least `Gemm.mr` rows the outputs are bit-identical to `DenseLayer.forward`
/// (below that `Gemm` takes `SmallGemm`, and so does this path).
///
/// Shape legend: x `[N, in]` or `[N, T, in]`; W `[out, in]` as in `DenseLayer`; y the same
/// leading shape with `out` last.
final class FusedDense {
    let dense: DenseLayer
    let activation: ActivationFunction
    private let packed: PackedMatrix

    init(dense: DenseLayer, activation: ActivationFunction) {
        self.dense = dense
        self.activation = activation
        packed = PackedMatrix(n: dense.outputSize, k: dense.inputSize)
        dense.weight.value.scalars.withUnsafeBufferPointer { packed.pack(.nt, b: $0.baseAddress!) }
    }

    var inputSize: Int { dense.inputSize }
    var outputSize: Int { dense.outputSize }

    /// y = f(x · Wᵀ + b) into `output` for batches below `Gemm.mr` rows (a single sample), as
    /// the training forward computes it; larger batches go through `forward(rows:x:y:)` from
    /// `DenseChain`, block by block.
    func forwardSmallBatch(_ input: Tensor, into output: inout Tensor, threads: Int) {
        dense.forward(input, into: &output, threads: threads)
        if activation != .linear { Activation.forward(activation, &output, threads: threads) }
    }

    /// Rows `rows` of y = f(x · Wᵀ + b), x and y pointing at row 0 of whole matrices. Any row
    /// count takes the packed kernel, so call it only within batches of at least `Gemm.mr` rows
    /// (which is where its bits equal `DenseLayer.forward`'s).
    func forward(rows: Range<Int>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard !rows.isEmpty else { return }
        let c = y + rows.lowerBound * outputSize
        let a = x + rows.lowerBound * inputSize
        if let bias = dense.bias {
            bias.value.scalars.withUnsafeBufferPointer { b in
                Im2Col.repeatRow(b.baseAddress!, rows: rows.count, width: outputSize, into: c)
            }
        }
        packed.multiply(a: a, m: rows.count, c: c, accumulate: dense.bias != nil)
        if activation != .linear {
            Activation.forward(activation, x: c, y: c, count: rows.count * outputSize, width: outputSize, threads: 1)
        }
    }
}
