extension GemmTile {
    /// c[0..<cols] (+)= a[0..<kc] · B for one row of A, B packed in panels as for `packed`
    /// (panel p of 16 columns at `b` + p · 16 · kc). The tiles would compute six or twelve
    /// rows to keep one (the recurrent layers' batch of one, step after step); here eight
    /// column blocks of V at a time give the multiply-adds independent chains instead.
    ///
    /// Each output is summed as in the tiles: from zero, one fused multiply-add per depth in
    /// order, then added to c (when accumulating), so the bits are the tiles'.
    @inlinable @inline(__always)
    public static func oneRow<V: SIMD>(
        _: V.Type, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
        cols: Int, accumulate: Bool
    ) where V.Scalar == Float {
        let lanes = V.scalarCount, blocks = (cols + lanes - 1) / lanes, depthBytes = 4 * panelWidth
        @inline(__always) func column(_ block: Int) -> UnsafeRawPointer {
            UnsafeRawPointer(b + (block * lanes / panelWidth) * panelWidth * kc + (block * lanes) % panelWidth)
        }
        @inline(__always) func store(_ sums: V, block: Int) {
            let out = c + block * lanes, count = min(lanes, cols - block * lanes)
            if count == lanes {
                let raw = UnsafeMutableRawPointer(out)
                raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: V.self) + sums : sums, as: V.self)
            } else {
                for lane in 0..<count { out[lane] = accumulate ? out[lane] + sums[lane] : sums[lane] }
            }
        }
        var block = 0
        while block + 8 <= blocks {
            let p0 = column(block), p1 = column(block + 1), p2 = column(block + 2), p3 = column(block + 3)
            let p4 = column(block + 4), p5 = column(block + 5), p6 = column(block + 6), p7 = column(block + 7)
            var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
            for p in 0..<kc {
                let x = V(repeating: a[p]), offset = p * depthBytes
                s0.addProduct(x, p0.loadUnaligned(fromByteOffset: offset, as: V.self))
                s1.addProduct(x, p1.loadUnaligned(fromByteOffset: offset, as: V.self))
                s2.addProduct(x, p2.loadUnaligned(fromByteOffset: offset, as: V.self))
                s3.addProduct(x, p3.loadUnaligned(fromByteOffset: offset, as: V.self))
                s4.addProduct(x, p4.loadUnaligned(fromByteOffset: offset, as: V.self))
                s5.addProduct(x, p5.loadUnaligned(fromByteOffset: offset, as: V.self))
                s6.addProduct(x, p6.loadUnaligned(fromByteOffset: offset, as: V.self))
                s7.addProduct(x, p7.loadUnaligned(fromByteOffset: offset, as: V.self))
            }
            store(s0, block: block)
            store(s1, block: block + 1)
            store(s2, block: block + 2)
            store(s3, block: block + 3)
            store(s4, block: block + 4)
            store(s5, block: block + 5)
            store(s6, block: block + 6)
            store(s7, block: block + 7)
            block += 8
        }
        while block < blocks {
            let p0 = column(block)
            var s0 = V()
            for p in 0..<kc {
                s0.addProduct(V(repeating: a[p]), p0.loadUnaligned(fromByteOffset: p * depthBytes, as: V.self))
            }
            store(s0, block: block)
            block += 1
        }
    }
}
