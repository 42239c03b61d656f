/// The LSTM forward pass for inference: nothing is kept for a backward pass, so the batch goes
/// through all T steps in blocks of `blockRows` rows whose gates, states and cells stay in
/// cache, and each step's input projection is computed just before it is used (training's
/// pass projects all T·N rows first, through a buffer of T·N·4H floats: 13 MB at W3's batch
/// of 256).
///
/// Every value is summed as in the training pass (the bias sum, then x·W_ihᵀ with the GEMM's
/// packed micro-kernel, then h·W_hhᵀ, then the same cell step), so both give the same bits
/// whenever T·N ≥ 6 (below that the training pass's GEMM takes its small-product path).
extension LSTMLayer {
    /// Rows per block: 24 rows of 4H = 256 gates fill 24 KiB, half of L1. On several threads
    /// the blocks are evened out (`RowChunks`), so that no thread gets a block more.
    static let blockRows = 24
    /// Below this batch the step-by-step projection would run the micro-kernel on mostly empty
    /// tiles; one projection of all T·N rows (training's pass) is then faster.
    static let inferenceMinimumBatch = 12

    func inferenceForward(_ input: Tensor, threads: Int) -> Tensor {
        let n = input.shape[0], t = input.shape[1], h = units, w = 4 * units, f = features
        let bias = biasSum.reserve(w)
        weights.biasIH.value.scalars.withUnsafeBufferPointer { bi in
            weights.biasHH.value.scalars.withUnsafeBufferPointer { bh in
                bias.update(from: bi.baseAddress!, count: w)
                for j in 0..<w { bias[j] += bh[j] }
            }
        }
        let recurrent = recurrentForward, projection = inputForward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nt, b: $0.baseAddress!) }
        weights.weightIH.value.scalars.withUnsafeBufferPointer { projection.pack(.nt, b: $0.baseAddress!) }
        let returnSequences = self.returnSequences
        var output = Tensor(zeros: returnSequences ? [n, t, h] : [n, h])
        let blocks = RowChunks(
            rows: n, work: n * t * (f + h) * w, threads: threads, panelsPerChunk: Self.blockRows / Gemm.mr)
        input.scalars.withUnsafeBufferPointer { xBuffer in
            output.scalars.withUnsafeMutableBufferPointer { yBuffer in
                let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                Parallel.forEach(chunks: blocks.count, threads: blocks.threads) { block in
                    let first = blocks[block].lowerBound, rows = blocks[block].count
                    // Gates, then two states, two cells and tanh(c), each `rows` rows.
                    ScratchPool.shared.withBuffer(count: rows * (w + 5 * h)) { scratch in
                        let z = scratch, tanhCell = scratch + rows * w
                        var state = tanhCell + rows * h, nextState = state + rows * h
                        var cell = nextState + rows * h, nextCell = cell + rows * h
                        state.update(repeating: 0, count: rows * h)
                        cell.update(repeating: 0, count: rows * h)
                        for step in 0..<t {
                            Im2Col.repeatRow(bias, rows: rows, width: w, into: z)
                            // Row r of this step's inputs is x[first + r, step, :], T·F apart.
                            projection.multiply(
                                a: x + (first * t + step) * f, m: rows, c: z, accumulate: true, lda: t * f)
                            if step > 0 { recurrent.multiply(a: state, m: rows, c: z, accumulate: true) }
                            for r in 0..<rows {
                                RecurrentMath.lstmCellForward(
                                    gates: z + r * w, previousCell: cell + r * h, cell: nextCell + r * h,
                                    tanhCell: tanhCell + r * h, state: nextState + r * h, units: h)
                            }
                            swap(&state, &nextState)
                            swap(&cell, &nextCell)
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
