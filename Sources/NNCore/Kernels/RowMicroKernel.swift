/// The 6×16 micro-kernel of `GemmMicroKernel` with A read where it lies, six rows of a
/// row-major matrix, instead of from a packed panel. For the thin per-step products of the
/// recurrent layers (16 or 32 rows) packing A costs a quarter of the product; the B panel
/// stays packed (`PackedMatrix`).
///
/// Shape legend: A rows `[rows ≤ 6, lda]` starting at `a` (depths 0..<kc used), B panel
/// `[kc, 16]`, C `[rows, cols]` with row stride `ldc`. The multiply-adds run in the same
/// order as `GemmMicroKernel.run`, so the sums carry the same bits.
enum RowMicroKernel {
    @inline(__always)
    static func run(
        kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        typealias V = SIMD8<Float>
        // Rows past the edge re-read the last valid row; their sums are never stored.
        let a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda
        let a3 = a + min(3, rows - 1) * lda, a4 = a + min(4, rows - 1) * lda, a5 = a + min(5, rows - 1) * lda
        var c0a = V(), c0b = V(), c1a = V(), c1b = V(), c2a = V(), c2b = V()
        var c3a = V(), c3b = V(), c4a = V(), c4b = V(), c5a = V(), c5b = V()
        var bp = UnsafeRawPointer(b)
        for p in 0..<kc {
            let b0 = bp.loadUnaligned(as: V.self)
            let b1 = bp.loadUnaligned(fromByteOffset: 32, as: V.self)
            var x = V(repeating: a0[p])
            c0a.addProduct(x, b0); c0b.addProduct(x, b1)
            x = V(repeating: a1[p])
            c1a.addProduct(x, b0); c1b.addProduct(x, b1)
            x = V(repeating: a2[p])
            c2a.addProduct(x, b0); c2b.addProduct(x, b1)
            x = V(repeating: a3[p])
            c3a.addProduct(x, b0); c3b.addProduct(x, b1)
            x = V(repeating: a4[p])
            c4a.addProduct(x, b0); c4b.addProduct(x, b1)
            x = V(repeating: a5[p])
            c5a.addProduct(x, b0); c5b.addProduct(x, b1)
            bp += 64
        }
        store(c0a, c0b, to: c, cols: cols, accumulate: accumulate)
        if rows > 1 { store(c1a, c1b, to: c + ldc, cols: cols, accumulate: accumulate) }
        if rows > 2 { store(c2a, c2b, to: c + 2 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 3 { store(c3a, c3b, to: c + 3 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 4 { store(c4a, c4b, to: c + 4 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 5 { store(c5a, c5b, to: c + 5 * ldc, cols: cols, accumulate: accumulate) }
    }

    /// Writes (or adds) the first `cols` values of one tile row: whole vectors where they
    /// fit, element by element past them.
    @inline(__always)
    static func store(
        _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, to c: UnsafeMutablePointer<Float>,
        cols: Int, accumulate: Bool
    ) {
        if cols == 16 {
            GemmMicroKernel.storeRow(lo, hi, to: c, accumulate: accumulate)
            return
        }
        let raw = UnsafeMutableRawPointer(c)
        var rest = lo
        var start = 0
        if cols >= 8 {
            let value = accumulate ? raw.loadUnaligned(as: SIMD8<Float>.self) + lo : lo
            raw.storeBytes(of: value, as: SIMD8<Float>.self)
            rest = hi
            start = 8
        }
        for j in start..<cols { c[j] = accumulate ? c[j] + rest[j - start] : rest[j - start] }
    }
}
