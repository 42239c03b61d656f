/// The reference GEMM: three loops, accumulated in the order p = 0..<k. The fast kernel is
/// tested against it on odd shapes.
public enum NaiveGemm {
    public static func multiply(
        _ form: GemmForm, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    sum +=
                        a[form.aIndex(row: i, depth: p, m: m, k: k)]
                        * b[form.bIndex(depth: p, column: j, n: n, k: k)]
                }
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum
            }
        }
    }

    /// Array convenience for tests.
    public static func multiply(
        _ form: GemmForm, m: Int, n: Int, k: Int,
        a: [Float], b: [Float], c: inout [Float], accumulate: Bool
    ) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    multiply(
                        form, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!,
                        c: c.baseAddress!, accumulate: accumulate)
                }
            }
        }
    }
}
