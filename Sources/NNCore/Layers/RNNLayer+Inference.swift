/// The RNN forward pass for inference, as `LSTMLayer+Inference` does it: blocks of rows through
/// all T steps, each step's input projection computed just before use, nothing kept for a
/// backward pass. The sums are those of the training pass (bias sum, x·W_ihᵀ, h·W_hhᵀ, then
/// the activation lane by lane), so both give the same bits whenever T·N ≥ 6.
extension RNNLayer {
    func inferenceForward(_ input: Tensor, threads: Int) -> Tensor {
        let n = input.shape[0], t = input.shape[1], h = units, f = features
        let bias = biasSum.reserve(h)
        weights.biasIH.value.scalars.withUnsafeBufferPointer { bi in
            weights.biasHH.value.scalars.withUnsafeBufferPointer { bh in
                bias.update(from: bi.baseAddress!, count: h)
                for j in 0..<h { bias[j] += bh[j] }
            }
        }
        let recurrent = recurrentForward, projection = inputForward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nt, b: $0.baseAddress!) }
        weights.weightIH.value.scalars.withUnsafeBufferPointer { projection.pack(.nt, b: $0.baseAddress!) }
        let returnSequences = self.returnSequences, relu = activation == .relu
        var output = Tensor(zeros: returnSequences ? [n, t, h] : [n, h])
        let blocks = RowChunks(
            rows: n, work: n * t * (features + h) * h, threads: threads, panelsPerChunk: LSTMLayer.blockRows / Gemm.mr)
        input.scalars.withUnsafeBufferPointer { xBuffer in
            output.scalars.withUnsafeMutableBufferPointer { yBuffer in
                let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                Parallel.forEach(chunks: blocks.count, threads: blocks.threads) { block in
                    let first = blocks[block].lowerBound, rows = blocks[block].count
                    ScratchPool.shared.withBuffer(count: 2 * rows * h) { scratch in
                        var state = scratch, next = scratch + rows * h
                        for step in 0..<t {
                            Im2Col.repeatRow(bias, rows: rows, width: h, into: next)
                            // Row r of this step's inputs is x[first + r, step, :], T·F apart.
                            projection.multiply(
                                a: x + (first * t + step) * f, m: rows, c: next, accumulate: true, lda: t * f)
                            if step > 0 { recurrent.multiply(a: state, m: rows, c: next, accumulate: true) }
                            if relu {
                                VectorMath.apply(next, count: rows * h) { $0.replacing(with: 0, where: .!($0 .> 0)) }
                            } else {
                                VectorMath.tanh(next, count: rows * h)
                            }
                            swap(&state, &next)
                            if returnSequences {
                                for r in 0..<rows {
                                    (y + ((first + r) * t + step) * h).update(from: state + r * h, count: h)
                                }
                            }
                        }
                        if !returnSequences { (y + first * h).update(from: state, count: rows * h) }
                    }
                }
            }
        }
        return output
    }
}
