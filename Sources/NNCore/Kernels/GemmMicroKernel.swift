/// The 6×16 register-blocked inner kernel: twelve 8-wide accumulators (six rows by two
/// vectors), fed per depth by two loads of the B panel and six broadcasts of the A panel.
/// With AVX2+FMA each update is one `vfmadd231ps` on a ymm register.
enum GemmMicroKernel {
    /// C[0..<rows, 0..<cols] (+)= Apanel · Bpanel over `kc` depths. `ldc` is C's row stride.
    @inline(__always)
    static func run(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        typealias V = SIMD8<Float>
        var c0a = V(), c0b = V(), c1a = V(), c1b = V(), c2a = V(), c2b = V()
        var c3a = V(), c3b = V(), c4a = V(), c4b = V(), c5a = V(), c5b = V()
        var ap = a
        var bp = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = bp.loadUnaligned(as: V.self)
            let b1 = bp.loadUnaligned(fromByteOffset: 32, as: V.self)
            var x = V(repeating: ap[0])
            c0a.addProduct(x, b0); c0b.addProduct(x, b1)
            x = V(repeating: ap[1])
            c1a.addProduct(x, b0); c1b.addProduct(x, b1)
            x = V(repeating: ap[2])
            c2a.addProduct(x, b0); c2b.addProduct(x, b1)
            x = V(repeating: ap[3])
            c3a.addProduct(x, b0); c3b.addProduct(x, b1)
            x = V(repeating: ap[4])
            c4a.addProduct(x, b0); c4b.addProduct(x, b1)
            x = V(repeating: ap[5])
            c5a.addProduct(x, b0); c5b.addProduct(x, b1)
            ap += 6
            bp += 64
        }
        if rows == 6 && cols == 16 {
            storeRow(c0a, c0b, to: c, accumulate: accumulate)
            storeRow(c1a, c1b, to: c + ldc, accumulate: accumulate)
            storeRow(c2a, c2b, to: c + 2 * ldc, accumulate: accumulate)
            storeRow(c3a, c3b, to: c + 3 * ldc, accumulate: accumulate)
            storeRow(c4a, c4b, to: c + 4 * ldc, accumulate: accumulate)
            storeRow(c5a, c5b, to: c + 5 * ldc, accumulate: accumulate)
            return
        }
        if cols == 16 {
            // Fewer rows but full width (the last row panel of most products): the same
            // additions as below, stored a vector at a time.
            storeRow(c0a, c0b, to: c, accumulate: accumulate)
            if rows > 1 { storeRow(c1a, c1b, to: c + ldc, accumulate: accumulate) }
            if rows > 2 { storeRow(c2a, c2b, to: c + 2 * ldc, accumulate: accumulate) }
            if rows > 3 { storeRow(c3a, c3b, to: c + 3 * ldc, accumulate: accumulate) }
            if rows > 4 { storeRow(c4a, c4b, to: c + 4 * ldc, accumulate: accumulate) }
            return
        }
        // Edge tile: spill to a local tile and copy the valid part.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 96) { tile in
            let t = tile.baseAddress!
            storeRow(c0a, c0b, to: t, accumulate: false)
            storeRow(c1a, c1b, to: t + 16, accumulate: false)
            storeRow(c2a, c2b, to: t + 32, accumulate: false)
            storeRow(c3a, c3b, to: t + 48, accumulate: false)
            storeRow(c4a, c4b, to: t + 64, accumulate: false)
            storeRow(c5a, c5b, to: t + 80, accumulate: false)
            for r in 0..<rows {
                let row = c + r * ldc
                for j in 0..<cols {
                    row[j] = accumulate ? row[j] + t[r * 16 + j] : t[r * 16 + j]
                }
            }
        }
    }

    /// Writes (or adds) one 16-wide row of a tile; shared with `RowMicroKernel`.
    @inline(__always)
    static func storeRow(
        _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, to c: UnsafeMutablePointer<Float>,
        accumulate: Bool
    ) {
        let raw = UnsafeMutableRawPointer(c)
        if accumulate {
            raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) + lo, as: SIMD8<Float>.self)
            raw.storeBytes(
                of: raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) + hi,
                toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            raw.storeBytes(of: lo, as: SIMD8<Float>.self)
            raw.storeBytes(of: hi, toByteOffset: 32, as: SIMD8<Float>.self)
        }
    }
}
