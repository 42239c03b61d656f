extension GemmTile {
    /// Up to twelve rows (`rows` 1...`height`) by 2·W columns with A read where it lies: row i
    /// of the tile starts at `a.row(i)` (rows past `rows` are never read). The depth runs over
    /// `segments` runs of `run` floats, `pitch` floats apart, B packed as for `packed` over all
    /// `segments` · `run` depths without blocks. Two uses:
    /// - rows of a row-major matrix (`StridedRows`, one segment): the thin per-step products of
    ///   the recurrent layers and `PackedMatrix`, where packing A would cost a quarter of the
    ///   product; sums start from zero (`start` zero) and are added to C or stored, as in `packed`;
    /// - output pixels of a convolution in the zero-padded image (`ListedRows`,
    ///   `ImplicitConvolution`), one run of kw·C taps per kernel row: each pixel has its own
    ///   address, so a tile may span the end of an output row, and the whole patch is summed in
    ///   registers from the bias (`start`) and stored once.
    ///
    /// `height` (4, 6, 8 or 12, a constant where the kernel is instantiated) is the most rows a
    /// caller asks for: accumulators past it are never stored, so the compiler drops their
    /// multiply-adds and row addresses, and each height is a kernel of its own. Twelve rows hold
    /// 24 accumulators, which only AVX-512's 32 registers do; AVX2 instantiates 4 and 6.
    ///
    /// Each element is one chain of fused multiply-adds from its start over the depths in order,
    /// whatever W or the tile's height: the same bits on every instruction set.
    @inlinable @inline(__always)
    public static func inPlace<V: SIMD, R: TileRows>(
        _: V.Type, rows a: R, count rows: Int, run: Int, segments: Int,
        pitch: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, start lo0: V, _ hi0: V,
        c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, accumulate: Bool, height: Int
    ) where V.Scalar == Float {
        @inline(__always) func row(_ i: Int) -> UnsafePointer<Float> { a.row(min(i, rows - 1)) }
        var r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
        var r6 = row(6), r7 = row(7), r8 = row(8), r9 = row(9), r10 = row(10), r11 = row(11)
        var c0a = lo0, c0b = hi0, c1a = lo0, c1b = hi0, c2a = lo0, c2b = hi0
        var c3a = lo0, c3b = hi0, c4a = lo0, c4b = hi0, c5a = lo0, c5b = hi0
        var c6a = lo0, c6b = hi0, c7a = lo0, c7b = hi0, c8a = lo0, c8b = hi0
        var c9a = lo0, c9b = hi0, c10a = lo0, c10b = hi0, c11a = lo0, c11b = hi0
        var lo = UnsafeRawPointer(b0), hi = UnsafeRawPointer(b1)
        for _ in 0..<segments {
            for p in 0..<run {
                let x0 = lo.loadUnaligned(as: V.self)
                let x1 = hi.loadUnaligned(as: V.self)
                var s = V(repeating: r0[p])
                c0a.addProduct(s, x0); c0b.addProduct(s, x1)
                s = V(repeating: r1[p])
                c1a.addProduct(s, x0); c1b.addProduct(s, x1)
                s = V(repeating: r2[p])
                c2a.addProduct(s, x0); c2b.addProduct(s, x1)
                s = V(repeating: r3[p])
                c3a.addProduct(s, x0); c3b.addProduct(s, x1)
                s = V(repeating: r4[p])
                c4a.addProduct(s, x0); c4b.addProduct(s, x1)
                s = V(repeating: r5[p])
                c5a.addProduct(s, x0); c5b.addProduct(s, x1)
                s = V(repeating: r6[p])
                c6a.addProduct(s, x0); c6b.addProduct(s, x1)
                s = V(repeating: r7[p])
                c7a.addProduct(s, x0); c7b.addProduct(s, x1)
                s = V(repeating: r8[p])
                c8a.addProduct(s, x0); c8b.addProduct(s, x1)
                s = V(repeating: r9[p])
                c9a.addProduct(s, x0); c9b.addProduct(s, x1)
                s = V(repeating: r10[p])
                c10a.addProduct(s, x0); c10b.addProduct(s, x1)
                s = V(repeating: r11[p])
                c11a.addProduct(s, x0); c11b.addProduct(s, x1)
                lo += 4 * GemmTile.panelWidth
                hi += 4 * GemmTile.panelWidth
            }
            r0 += pitch; r1 += pitch; r2 += pitch; r3 += pitch; r4 += pitch; r5 += pitch
            r6 += pitch; r7 += pitch; r8 += pitch; r9 += pitch; r10 += pitch; r11 += pitch
        }
        GemmTile.store(c0a, c0b, to: c, cols: cols, accumulate: accumulate)
        if height > 1 && rows > 1 { GemmTile.store(c1a, c1b, to: c + ldc, cols: cols, accumulate: accumulate) }
        if height > 2 && rows > 2 { GemmTile.store(c2a, c2b, to: c + 2 * ldc, cols: cols, accumulate: accumulate) }
        if height > 3 && rows > 3 { GemmTile.store(c3a, c3b, to: c + 3 * ldc, cols: cols, accumulate: accumulate) }
        if height > 4 && rows > 4 { GemmTile.store(c4a, c4b, to: c + 4 * ldc, cols: cols, accumulate: accumulate) }
        if height > 5 && rows > 5 { GemmTile.store(c5a, c5b, to: c + 5 * ldc, cols: cols, accumulate: accumulate) }
        if height > 6 && rows > 6 { GemmTile.store(c6a, c6b, to: c + 6 * ldc, cols: cols, accumulate: accumulate) }
        if height > 7 && rows > 7 { GemmTile.store(c7a, c7b, to: c + 7 * ldc, cols: cols, accumulate: accumulate) }
        if height > 8 && rows > 8 { GemmTile.store(c8a, c8b, to: c + 8 * ldc, cols: cols, accumulate: accumulate) }
        if height > 9 && rows > 9 { GemmTile.store(c9a, c9b, to: c + 9 * ldc, cols: cols, accumulate: accumulate) }
        if height > 10 && rows > 10 { GemmTile.store(c10a, c10b, to: c + 10 * ldc, cols: cols, accumulate: accumulate) }
        if height > 11 && rows > 11 { GemmTile.store(c11a, c11b, to: c + 11 * ldc, cols: cols, accumulate: accumulate) }
    }
}

/// Where each row of an in-place tile starts.
public protocol TileRows {
    func row(_ i: Int) -> UnsafePointer<Float>
}

/// Rows of a row-major matrix, `lda` floats apart.
public struct StridedRows: TileRows {
    @usableFromInline let a: UnsafePointer<Float>
    @usableFromInline let lda: Int

    @inlinable public init(_ a: UnsafePointer<Float>, lda: Int) {
        self.a = a
        self.lda = lda
    }

    @inlinable @inline(__always)
    public func row(_ i: Int) -> UnsafePointer<Float> { a + i * lda }
}

/// Rows at the addresses of a list (output pixels in a padded image).
public struct ListedRows: TileRows {
    @usableFromInline let rows: UnsafePointer<UnsafePointer<Float>>

    @inlinable public init(_ rows: UnsafePointer<UnsafePointer<Float>>) { self.rows = rows }

    @inlinable @inline(__always)
    public func row(_ i: Int) -> UnsafePointer<Float> { rows[i] }
}
