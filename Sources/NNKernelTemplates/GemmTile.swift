/// The GEMM micro-kernels, written once for any vector width `V` and compiled per instruction
/// set in the kernel modules (`NNKernelsAVX2` with `SIMD8<Float>`, `NNKernelsAVX512` with
/// `SIMD16<Float>`). Nothing here runs unspecialised.
///
/// A tile is 6 rows by 2·W columns (W = `V.scalarCount`): twelve accumulators, fed per depth by
/// two vector loads of B and six broadcasts of A. B lies in panels of 16 columns, 16 values per
/// depth (`panelWidth`); the tile's low W columns are read at `b0`, its high W at `b1` (the same
/// panel 8 further on for W = 8, the next panel for W = 16).
///
/// Every element of C is one chain of fused multiply-adds over the depths in order, starting
/// from zero, then added to C or stored: the same operations whatever W is, so each instruction
/// set gives the same bits.
public enum GemmTile {
    public static let rows = 6
    public static let panelWidth = 16

    /// C[0..<rows, 0..<cols] (+)= A panel · B over `kc` depths; A is packed 6 values per depth.
    @inlinable @inline(__always)
    public static func packed<V: SIMD>(
        _: V.Type, kc: Int, a: UnsafePointer<Float>, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) where V.Scalar == Float {
        var c0a = V(), c0b = V(), c1a = V(), c1b = V(), c2a = V(), c2b = V()
        var c3a = V(), c3b = V(), c4a = V(), c4b = V(), c5a = V(), c5b = V()
        var ap = a
        var lo = UnsafeRawPointer(b0), hi = UnsafeRawPointer(b1)
        for _ in 0..<kc {
            let x0 = lo.loadUnaligned(as: V.self)
            let x1 = hi.loadUnaligned(as: V.self)
            var s = V(repeating: ap[0])
            c0a.addProduct(s, x0); c0b.addProduct(s, x1)
            s = V(repeating: ap[1])
            c1a.addProduct(s, x0); c1b.addProduct(s, x1)
            s = V(repeating: ap[2])
            c2a.addProduct(s, x0); c2b.addProduct(s, x1)
            s = V(repeating: ap[3])
            c3a.addProduct(s, x0); c3b.addProduct(s, x1)
            s = V(repeating: ap[4])
            c4a.addProduct(s, x0); c4b.addProduct(s, x1)
            s = V(repeating: ap[5])
            c5a.addProduct(s, x0); c5b.addProduct(s, x1)
            ap += 6
            lo += 4 * panelWidth
            hi += 4 * panelWidth
        }
        store(c0a, c0b, to: c, cols: cols, accumulate: accumulate)
        if rows > 1 { store(c1a, c1b, to: c + ldc, cols: cols, accumulate: accumulate) }
        if rows > 2 { store(c2a, c2b, to: c + 2 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 3 { store(c3a, c3b, to: c + 3 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 4 { store(c4a, c4b, to: c + 4 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 5 { store(c5a, c5b, to: c + 5 * ldc, cols: cols, accumulate: accumulate) }
    }

    /// Twelve rows by 2·W columns from two neighbouring packed A panels (`a0`, `a1`, 6 rows
    /// each): 24 accumulators, which only the 32 registers of AVX-512 hold. Each B load now
    /// feeds twice as many multiply-adds as in `packed`; every element is summed exactly as
    /// there. `rows` (7...12) counts rows from the first panel's first row.
    @inlinable @inline(__always)
    public static func packedTwelve<V: SIMD>(
        _: V.Type, kc: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, b0: UnsafePointer<Float>,
        b1: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
        accumulate: Bool
    ) where V.Scalar == Float {
        var c0a = V(), c0b = V(), c1a = V(), c1b = V(), c2a = V(), c2b = V()
        var c3a = V(), c3b = V(), c4a = V(), c4b = V(), c5a = V(), c5b = V()
        var c6a = V(), c6b = V(), c7a = V(), c7b = V(), c8a = V(), c8b = V()
        var c9a = V(), c9b = V(), c10a = V(), c10b = V(), c11a = V(), c11b = V()
        var ap = a0, aq = a1
        var lo = UnsafeRawPointer(b0), hi = UnsafeRawPointer(b1)
        for _ in 0..<kc {
            let x0 = lo.loadUnaligned(as: V.self)
            let x1 = hi.loadUnaligned(as: V.self)
            var s = V(repeating: ap[0])
            c0a.addProduct(s, x0); c0b.addProduct(s, x1)
            s = V(repeating: ap[1])
            c1a.addProduct(s, x0); c1b.addProduct(s, x1)
            s = V(repeating: ap[2])
            c2a.addProduct(s, x0); c2b.addProduct(s, x1)
            s = V(repeating: ap[3])
            c3a.addProduct(s, x0); c3b.addProduct(s, x1)
            s = V(repeating: ap[4])
            c4a.addProduct(s, x0); c4b.addProduct(s, x1)
            s = V(repeating: ap[5])
            c5a.addProduct(s, x0); c5b.addProduct(s, x1)
            s = V(repeating: aq[0])
            c6a.addProduct(s, x0); c6b.addProduct(s, x1)
            s = V(repeating: aq[1])
            c7a.addProduct(s, x0); c7b.addProduct(s, x1)
            s = V(repeating: aq[2])
            c8a.addProduct(s, x0); c8b.addProduct(s, x1)
            s = V(repeating: aq[3])
            c9a.addProduct(s, x0); c9b.addProduct(s, x1)
            s = V(repeating: aq[4])
            c10a.addProduct(s, x0); c10b.addProduct(s, x1)
            s = V(repeating: aq[5])
            c11a.addProduct(s, x0); c11b.addProduct(s, x1)
            ap += 6
            aq += 6
            lo += 4 * panelWidth
            hi += 4 * panelWidth
        }
        store(c0a, c0b, to: c, cols: cols, accumulate: accumulate)
        store(c1a, c1b, to: c + ldc, cols: cols, accumulate: accumulate)
        store(c2a, c2b, to: c + 2 * ldc, cols: cols, accumulate: accumulate)
        store(c3a, c3b, to: c + 3 * ldc, cols: cols, accumulate: accumulate)
        store(c4a, c4b, to: c + 4 * ldc, cols: cols, accumulate: accumulate)
        store(c5a, c5b, to: c + 5 * ldc, cols: cols, accumulate: accumulate)
        store(c6a, c6b, to: c + 6 * ldc, cols: cols, accumulate: accumulate)
        if rows > 7 { store(c7a, c7b, to: c + 7 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 8 { store(c8a, c8b, to: c + 8 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 9 { store(c9a, c9b, to: c + 9 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 10 { store(c10a, c10b, to: c + 10 * ldc, cols: cols, accumulate: accumulate) }
        if rows > 11 { store(c11a, c11b, to: c + 11 * ldc, cols: cols, accumulate: accumulate) }
    }

    /// Writes (or adds) the first `cols` (≤ 2·W) values of one tile row: whole vectors where
    /// they fit, element by element past them. C + sum, as one rounding, on every path.
    @inlinable @inline(__always)
    static func store<V: SIMD>(
        _ lo: V, _ hi: V, to c: UnsafeMutablePointer<Float>, cols: Int, accumulate: Bool
    ) where V.Scalar == Float {
        let width = V.scalarCount
        let raw = UnsafeMutableRawPointer(c)
        if cols == 2 * width {
            if accumulate {
                raw.storeBytes(of: raw.loadUnaligned(as: V.self) + lo, as: V.self)
                raw.storeBytes(
                    of: raw.loadUnaligned(fromByteOffset: 4 * width, as: V.self) + hi,
                    toByteOffset: 4 * width, as: V.self)
            } else {
                raw.storeBytes(of: lo, as: V.self)
                raw.storeBytes(of: hi, toByteOffset: 4 * width, as: V.self)
            }
            return
        }
        var rest = lo
        var start = 0
        if cols >= width {
            raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: V.self) + lo : lo, as: V.self)
            rest = hi
            start = width
        }
        for j in start..<cols { c[j] = accumulate ? c[j] + rest[j - start] : rest[j - start] }
    }
}
