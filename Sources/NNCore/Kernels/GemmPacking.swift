/// Packing of GEMM operands into the panel layouts the micro-kernel reads.
///
/// A block `[mc, kc]` becomes panels of `Gemm.mr` rows: for each depth p the panel holds the
/// `mr` values A[row0..<row0+mr, p] side by side. A block `[kc, nc]` of B becomes panels of
/// `Gemm.nr` columns: for each p, B[p, col0..<col0+nr]. Short panels are padded with zeros,
/// so the micro-kernel never branches on edges.
enum GemmPacking {
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
                    for r in 0..<height { dst[p * mr + r] = src[r] }
                    for r in height..<mr { dst[p * mr + r] = 0 }
                }
            } else {
                for r in 0..<mr {
                    if r < height {
                        let src = a + (panelStart + r) * k + depths.lowerBound
                        for p in 0..<kc { dst[p * mr + r] = src[p] }
                    } else {
                        for p in 0..<kc { dst[p * mr + r] = 0 }
                    }
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
                // B stored [n, k]: walk each column's depths contiguously.
                for c in 0..<nr {
                    if c < width {
                        let src = b + (panelStart + c) * k + depths.lowerBound
                        for p in 0..<kc { dst[p * nr + c] = src[p] }
                    } else {
                        for p in 0..<kc { dst[p * nr + c] = 0 }
                    }
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
}
