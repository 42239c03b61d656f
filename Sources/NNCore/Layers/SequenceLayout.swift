/// Moves sequences between the batch-major layout of tensors, `[N, T, C]`, and the
/// time-major layout the recurrent layers step through, `[T, N, C]`, where the N rows of one
/// step are contiguous and form one GEMM operand.
enum SequenceLayout {
    /// dst[j, i, :] = src[i, j, :] for a source of shape [a, b, inner].
    static func swapLeadingAxes(
        _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
        a: Int, b: Int, inner: Int
    ) {
        for i in 0..<a {
            for j in 0..<b {
                (dst + (j * a + i) * inner).update(from: src + (i * b + j) * inner, count: inner)
            }
        }
    }

    /// The rows of `batch` samples split into contiguous ranges, one per thread (at most 4,
    /// and at least 16 rows each: thinner products waste the micro-kernel's rows). Each range
    /// runs its own chain of per-step GEMMs. The split does not change any result: every
    /// output of a product sums the same terms in the same order whichever rows surround it
    /// (the micro-kernels' contract, `KernelISABitsTests`), and the gate math is per row. One
    /// thread takes the whole batch as one range, so W3's 32 rows fill 12-row tiles.
    static func rowRanges(batch: Int, threads: Int) -> [Range<Int>] {
        let chunks = max(1, min(4, threads, batch / 16))
        return (0..<chunks).map { (batch * $0 / chunks)..<(batch * ($0 + 1) / chunks) }
    }

    /// A recurrent layer's output from its time-major states `[T + 1, N, H]` (step 0 is the
    /// zero initial state): every step `[N, T, H]`, or the last step `[N, H]`.
    static func output(
        states: UnsafePointer<Float>, batch n: Int, steps t: Int, units h: Int,
        returnSequences: Bool
    ) -> Tensor {
        if returnSequences {
            var output = Tensor(zeros: [n, t, h])
            output.scalars.withUnsafeMutableBufferPointer {
                swapLeadingAxes(states + n * h, $0.baseAddress!, a: t, b: n, inner: h)
            }
            return output
        }
        return Tensor(shape: [n, h], scalars: Array(UnsafeBufferPointer(start: states + t * n * h, count: n * h)))
    }
}
