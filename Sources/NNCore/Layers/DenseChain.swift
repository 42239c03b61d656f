/// Consecutive dense layers of an inference plan (W1's three, a classifier head), run block of
/// rows by block of rows: each block goes through every layer before the next block starts, so
/// its intermediate activations are still in cache when the next layer reads them, and the
/// threads meet once per chain instead of once per layer.
///
/// Each row's outputs are those of the layers run one after another (`FusedDense`), bit for
/// bit; below `Gemm.mr` rows they are run one after another.
///
/// Shape legend: x `[N, in]` or `[N, T, in]`; y the same leading shape with the last layer's
/// width; the intermediates `[rows, width]` with rows = N (· T).
final class DenseChain {
    let layers: [FusedDense]
    /// One per layer but the last, reused from call to call (a plan serves one request at a time).
    private let intermediates: [FloatBuffer]
    /// The same for batches below one panel, as arrays lent to tensors.
    private var small: [[Float]]

    init(_ layers: [FusedDense]) {
        precondition(!layers.isEmpty)
        self.layers = layers
        intermediates = layers.dropLast().map { _ in FloatBuffer() }
        small = Array(repeating: [], count: layers.count - 1)
    }

    var inputSize: Int { layers[0].inputSize }
    var outputSize: Int { layers[layers.count - 1].outputSize }

    func outputShape(_ inputShape: [Int]) -> [Int] { DenseLayer.outputShape(inputShape, outputSize) }

    /// The chain's output for `input` into `output` (of `outputShape`).
    func forward(_ input: Tensor, into output: inout Tensor, threads: Int) {
        let n = input.rank <= 2 ? input.batchSize : input.count / inputSize
        guard n >= Gemm.mr else {
            forwardLayerByLayer(input, into: &output, threads: threads)
            return
        }
        precondition(
            input.rank <= 2 ? input.sampleSize == inputSize : input.shape.last == inputSize,
            "dense expects \(inputSize) features, got \(input.shape)")
        precondition(output.count == n * outputSize)
        let widths = layers.map(\.outputSize)
        let buffers = zip(intermediates, widths).map { $0.reserve(n * $1) }
        let work = layers.reduce(0) { $0 + n * $1.inputSize * $1.outputSize }
        // On several threads, chunks of up to 24 panels (144 rows): a batch of 256 is then one
        // chunk per thread, each streaming the weights once (W1's first layer is 800 KB), and
        // the threads claim two chunks instead of six. Batch-256 on 2 threads: 947k -> 959k
        // samples/s in a quiet stretch, 890k -> 927k when two threads get less than two cores.
        let blocks = RowChunks(rows: n, work: work, threads: threads, panelsPerChunk: threads > 1 ? 24 : 8)
        let layers = layers
        input.scalars.withUnsafeBufferPointer { x in
            output.scalars.withUnsafeMutableBufferPointer { y in
                let (x, y) = (x.baseAddress!, y.baseAddress!)
                Parallel.forEach(chunks: blocks.count, threads: blocks.threads) { block in
                    let rows = blocks[block]
                    var source = x
                    for (index, layer) in layers.enumerated() {
                        let target = index == layers.count - 1 ? y : buffers[index]
                        layer.forward(rows: rows, x: source, y: target)
                        source = UnsafePointer(target)
                    }
                }
            }
        }
    }

    /// Batches below one panel of rows (a single sample): each layer on its own, as the
    /// training forward runs it, through buffers kept here.
    private func forwardLayerByLayer(_ input: Tensor, into output: inout Tensor, threads: Int) {
        var x = input
        for (index, layer) in layers.enumerated() {
            if index == layers.count - 1 {
                layer.forwardSmallBatch(x, into: &output, threads: threads)
                if index > 0 { small[index - 1] = x.scalars }
                return
            }
            let shape = DenseLayer.outputShape(x.shape, layer.outputSize)
            let count = shape.reduce(1, *)
            var scalars = small[index]
            small[index] = []
            if scalars.count != count { scalars = [Float](unsafeUninitializedCapacity: count) { $1 = count } }
            var y = Tensor(shape: shape, scalars: scalars)
            layer.forwardSmallBatch(x, into: &y, threads: threads)
            if index > 0 { small[index - 1] = x.scalars }
            x = y
        }
    }
}
