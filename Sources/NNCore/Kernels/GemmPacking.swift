/// Packing of GEMM operands into the panel layouts the micro-kernel reads.
///
/// A block `[mc, kc]` becomes panels of `Gemm.mr` rows: for each depth p the panel holds the
/// `mr` values A[row0..<row0+mr, p] side by side. A block `[kc, nc]` of B becomes panels of
/// `Gemm.nr` columns: for each p, B[p, col0..<col0+nr]. Short panels are padded with zeros,
/// so the micro-kernel never branches on edges.
///
/// Where a panel runs across the stored rows (A of `nn`/`nt`, B of `nt`) full panels are
/// transposed 8 depths at a time in registers (`Transpose8x8`). Every store stays inside its
/// own panel, so team members may pack neighbouring panels of one buffer at the same time.
enum GemmPacking {
    typealias V = SIMD8<Float>

    static func packA(
        _ form: GemmForm, a: UnsafePointer<Float>, m: Int, k: Int,
        rows: Range<Int>, depths: Range<Int>, into out: UnsafeMutablePointer<Float>
    ) {
        // A stored [m, k] runs across the panel's depths; stored [k, m] (`tn`) along them.
        packPanels(
            a, across: form != .tn, stride: form == .tn ? m : k, lanes: rows, depths: depths,
            width: Gemm.mr, into: out)
    }

    static func packB(
        _ form: GemmForm, b: UnsafePointer<Float>, n: Int, k: Int,
        columns: Range<Int>, depths: Range<Int>, into out: UnsafeMutablePointer<Float>
    ) {
        // B stored [n, k] (`nt`) runs across the panel's depths; stored [k, n] along them.
        packPanels(
            b, across: form == .nt, stride: form == .nt ? k : n, lanes: columns, depths: depths,
            width: Gemm.nr, into: out)
    }

    /// Panels of `width` lanes for `lanes` (rows of A or columns of B), one after another.
    /// `across`: each lane's depths are contiguous and lanes lie `stride` apart; otherwise
    /// each depth's lanes are contiguous and depths lie `stride` apart.
    @inline(__always)
    private static func packPanels(
        _ x: UnsafePointer<Float>, across: Bool, stride: Int, lanes: Range<Int>,
        depths: Range<Int>, width: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let kc = depths.count
        var start = lanes.lowerBound
        var dst = out
        while start < lanes.upperBound {
            let count = min(width, lanes.upperBound - start)
            if across {
                packAcross(
                    x + start * stride + depths.lowerBound, stride: stride, count: count, width: width,
                    depths: kc, into: dst)
            } else {
                packAlong(
                    x + depths.lowerBound * stride + start, stride: stride, count: count, width: width,
                    depths: kc, into: dst)
            }
            dst += width * kc
            start += width
        }
    }

    /// One panel of `width` lanes (`Gemm.mr` or `Gemm.nr`) from `count` stored rows of
    /// contiguous depths, `stride` apart: dst[p·width + r] = src[r·stride + p], zero for
    /// r ≥ count. A full panel goes 8 depths at a time through `Transpose8x8`.
    @inline(__always)
    private static func packAcross(
        _ src: UnsafePointer<Float>, stride: Int, count: Int, width: Int,
        depths kc: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        var p = 0
        if count == width && width == Gemm.nr {
            while p + 8 <= kc {
                for half in 0..<2 {
                    let t = Transpose8x8.columns(src + half * 8 * stride + p, stride: stride)
                    let d = UnsafeMutableRawPointer(dst + p * width + half * 8)
                    d.storeBytes(of: t.0, toByteOffset: 0, as: V.self)
                    d.storeBytes(of: t.1, toByteOffset: 64, as: V.self)
                    d.storeBytes(of: t.2, toByteOffset: 128, as: V.self)
                    d.storeBytes(of: t.3, toByteOffset: 192, as: V.self)
                    d.storeBytes(of: t.4, toByteOffset: 256, as: V.self)
                    d.storeBytes(of: t.5, toByteOffset: 320, as: V.self)
                    d.storeBytes(of: t.6, toByteOffset: 384, as: V.self)
                    d.storeBytes(of: t.7, toByteOffset: 448, as: V.self)
                }
                p += 8
            }
        } else if count == width && width == Gemm.mr {
            // Rows 6 and 7 of each transpose repeat row 5; only 6 lanes are kept.
            while p + 8 <= kc {
                let t = Transpose8x8.columns(src + p, stride: stride, count: width)
                let d = UnsafeMutableRawPointer(dst + p * width)
                // Each 8-lane store spills 2 lanes into the next depth, which the next store
                // overwrites; the last one stores 6 lanes to stay in the panel.
                d.storeBytes(of: t.0, toByteOffset: 0, as: V.self)
                d.storeBytes(of: t.1, toByteOffset: 24, as: V.self)
                d.storeBytes(of: t.2, toByteOffset: 48, as: V.self)
                d.storeBytes(of: t.3, toByteOffset: 72, as: V.self)
                d.storeBytes(of: t.4, toByteOffset: 96, as: V.self)
                d.storeBytes(of: t.5, toByteOffset: 120, as: V.self)
                d.storeBytes(of: t.6, toByteOffset: 144, as: V.self)
                d.storeBytes(of: t.7.lowHalf, toByteOffset: 168, as: SIMD4<Float>.self)
                d.storeBytes(of: SIMD2(t.7[4], t.7[5]), toByteOffset: 184, as: SIMD2<Float>.self)
                p += 8
            }
        }
        for r in 0..<width {
            for q in p..<kc { dst[q * width + r] = r < count ? src[r * stride + q] : 0 }
        }
    }

    /// One panel of `width` lanes from `count` contiguous values per depth, depths `stride`
    /// apart: dst[p·width + r] = src[p·stride + r], zero for r ≥ count.
    @inline(__always)
    private static func packAlong(
        _ src: UnsafePointer<Float>, stride: Int, count: Int, width: Int,
        depths kc: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        for p in 0..<kc {
            let from = UnsafeRawPointer(src + p * stride), to = UnsafeMutableRawPointer(dst + p * width)
            if count == width && width == Gemm.nr {
                to.storeBytes(of: from.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
            } else if count == width && width == Gemm.mr {
                to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                to.storeBytes(
                    of: from.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self),
                    toByteOffset: 16, as: SIMD2<Float>.self)
            } else {
                for r in 0..<width { dst[p * width + r] = r < count ? src[p * stride + r] : 0 }
            }
        }
    }
}
