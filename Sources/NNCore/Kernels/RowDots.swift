/// C[i, j] += A[i, :] · B[j, :] for short lists of long rows: a convolution's weight gradient
/// in the channel-rows layout, dWp[o, tap] += Σ_p dyᵀ[o, p] · colsᵀ[tap, p], where O and K are
/// a few dozen at most and P is hundreds of pixels.
///
/// Two rows of A against four of B at a time: each step loads six vectors for eight
/// multiply-adds (one dot product at a time loads two per one). Each pair sums its own lanes in
/// order over p, then across lanes, whatever block it falls in, so the bits do not depend on
/// the shape's edges; the code is the same on every kernel set (SIMD8 with FMA).
enum RowDots {
    typealias V = SIMD8<Float>

    static func accumulate(
        a: UnsafePointer<Float>, rowsA: Int, b: UnsafePointer<Float>, rowsB: Int, length: Int,
        into c: UnsafeMutablePointer<Float>
    ) {
        guard rowsA > 0, rowsB > 0 else { return }
        for i in stride(from: 0, to: rowsA, by: 2) {
            let a0 = a + i * length, a1 = a + min(i + 1, rowsA - 1) * length
            for j in stride(from: 0, to: rowsB, by: 4) {
                // Rows past the edge repeat the last one; their sums are dropped.
                let b0 = b + j * length, b1 = b + min(j + 1, rowsB - 1) * length
                let b2 = b + min(j + 2, rowsB - 1) * length, b3 = b + min(j + 3, rowsB - 1) * length
                var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
                var p = 0
                while p < length {
                    let lanes = min(8, length - p)
                    let x0 = load(a0 + p, lanes), x1 = load(a1 + p, lanes)
                    let y0 = load(b0 + p, lanes), y1 = load(b1 + p, lanes)
                    let y2 = load(b2 + p, lanes), y3 = load(b3 + p, lanes)
                    s00.addProduct(x0, y0)
                    s01.addProduct(x0, y1)
                    s02.addProduct(x0, y2)
                    s03.addProduct(x0, y3)
                    s10.addProduct(x1, y0)
                    s11.addProduct(x1, y1)
                    s12.addProduct(x1, y2)
                    s13.addProduct(x1, y3)
                    p += 8
                }
                let columns = min(4, rowsB - j)
                add(s00, s01, s02, s03, to: c + i * rowsB + j, columns: columns)
                if i + 1 < rowsA { add(s10, s11, s12, s13, to: c + (i + 1) * rowsB + j, columns: columns) }
            }
        }
    }

    /// Each vector's lanes summed into one of the first `columns` floats of `row`.
    @inline(__always)
    private static func add(_ s0: V, _ s1: V, _ s2: V, _ s3: V, to row: UnsafeMutablePointer<Float>, columns: Int) {
        row[0] += s0.sum()
        if columns > 1 { row[1] += s1.sum() }
        if columns > 2 { row[2] += s2.sum() }
        if columns > 3 { row[3] += s3.sum() }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ lanes: Int) -> V {
        if lanes == 8 { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var v = V()
        for lane in 0..<lanes { v[lane] = p[lane] }
        return v
    }
}
