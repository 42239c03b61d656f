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

    /// y = f(x · Wᵀ + b) into `output`, which the caller may reuse across calls.
    func forward(_ input: Tensor, into output: inout Tensor, threads: Int) {
        let (inputSize, outputSize) = (dense.inputSize, dense.outputSize)
        let n = input.rank <= 2 ? input.batchSize : input.count / inputSize
        guard n >= Gemm.mr else {
            dense.forward(input, into: &output, threads: threads)
            if activation != .linear { Activation.forward(activation, &output, threads: threads) }
            return
        }
        precondition(
            input.rank <= 2 ? input.sampleSize == inputSize : input.shape.last == inputSize,
            "dense expects \(inputSize) features, got \(input.shape)")
        precondition(output.count == n * outputSize)
        // Blocks of whole row tiles, so every block but the last fills the micro-kernel; which
        // thread runs a block never changes its bits.
        let tile = Gemm.mr * TileKernels().rowPanelsPerTile
        let rowsPerBlock = n * outputSize * inputSize < Gemm.parallelMin ? n : 4 * tile
        let blocks = (n + rowsPerBlock - 1) / rowsPerBlock
        let (packed, activation, bias) = (packed, activation, dense.bias)
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                let (x, y) = (x.baseAddress!, y.baseAddress!)
                func run(_ b: UnsafePointer<Float>?) {
                    Parallel.forEach(chunks: blocks, threads: threads) { block in
                        let first = block * rowsPerBlock, rows = min(rowsPerBlock, n - first)
                        let c = y + first * outputSize
                        if let b {
                            for row in 0..<rows { (c + row * outputSize).update(from: b, count: outputSize) }
                        }
                        packed.multiply(a: x + first * inputSize, m: rows, c: c, accumulate: b != nil)
                        if activation != .linear {
                            Activation.forward(
                                activation, x: c, y: c, count: rows * outputSize, width: outputSize, threads: 1)
                        }
                    }
                }
                if let bias {
                    bias.value.scalars.withUnsafeBufferPointer { run($0.baseAddress!) }
                } else {
                    run(nil)
                }
            }
        }
    }
}
