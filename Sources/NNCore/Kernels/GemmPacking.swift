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

    static func packA(_ form: GemmForm, a: UnsafePointer<Float>, m: Int, k: Int,
                      rows: Range<Int>, depths: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let mr = Gemm.mr
        let kc = depths.count
        var panelStart = rows.lowerBound
        var dst = out
        while panelStart < rows.upperBound {
            let height = min(mr, rows.upperBound - panelStart)
            if form == .tn {
                // A stored [k, m]: the mr values for one depth are contiguous.
                for p in 0..<kc {
                    let src = a + (depths.lowerBound + p) * m + panelStart
                    if height == mr {
                        copy4(src, dst + p * mr)
                        dst[p * mr + 4] = src[4]
                        dst[p * mr + 5] = src[5]
                    } else {
                        for r in 0..<height { dst[p * mr + r] = src[r] }
                        for r in height..<mr { dst[p * mr + r] = 0 }
                    }
                }
            } else {
                let src = a + panelStart * k + depths.lowerBound
                var p = 0
                if height == mr {
                    // Rows 6 and 7 of each transpose repeat row 5; only 6 lanes are kept.
                    while p + 8 <= kc {
                        let t = Transpose8x8.columns(src + p, stride: k, count: mr)
                        let d = UnsafeMutableRawPointer(dst + p * mr)
                        // Each 8-lane store spills 2 lanes into the next depth, which the next
                        // store overwrites; the last one stores 6 lanes to stay in the panel.
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
                for r in 0..<mr {
                    for q in p..<kc { dst[q * mr + r] = r < height ? src[r * k + q] : 0 }
                }
            }
            dst += mr * kc
            panelStart += mr
        }
    }

    static func packB(_ form: GemmForm, b: UnsafePointer<Float>, n: Int, k: Int,
                      columns: Range<Int>, depths: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let nr = Gemm.nr
        let kc = depths.count
        var panelStart = columns.lowerBound
        var dst = out
        while panelStart < columns.upperBound {
            let width = min(nr, columns.upperBound - panelStart)
            if form == .nt {
                // B stored [n, k]: each column's depths are contiguous.
                let src = b + panelStart * k + depths.lowerBound
                var p = 0
                if width == nr {
                    while p + 8 <= kc {
                        for half in 0..<2 {
                            let t = Transpose8x8.columns(src + half * 8 * k + p, stride: k)
                            let d = UnsafeMutableRawPointer(dst + p * nr + half * 8)
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
                }
                for c in 0..<nr {
                    for q in p..<kc { dst[q * nr + c] = c < width ? src[c * k + q] : 0 }
                }
            } else if width == nr {
                for p in 0..<kc {
                    let src = UnsafeRawPointer(b + (depths.lowerBound + p) * n + panelStart)
                    let d = UnsafeMutableRawPointer(dst + p * nr)
                    d.storeBytes(of: src.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let src = b + (depths.lowerBound + p) * n + panelStart
                    for c in 0..<width { dst[p * nr + c] = src[c] }
                    for c in width..<nr { dst[p * nr + c] = 0 }
                }
            }
            dst += nr * kc
            panelStart += nr
        }
    }

    @inline(__always)
    private static func copy4(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(dst).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD4<Float>.self),
                                                as: SIMD4<Float>.self)
    }
}
