import NNKernelsAVX2
import NNKernelsAVX512

/// The GEMM micro-kernels of one `KernelISA`, as the blocked loops call them. B is always
/// packed in panels of 16 columns (`Gemm.nr`); an AVX2 tile covers one panel, an AVX-512 tile
/// two neighbouring ones, so the packed layouts (and `PackedMatrix`) are the same on both.
///
/// A computation reads `KernelISA.active` once and passes its `TileKernels` on, so all members
/// of a team run the same set even if a test switches sets in between.
struct TileKernels {
    let isa: KernelISA

    init(_ isa: KernelISA = .active) { self.isa = isa }

    /// B panels per tile.
    var panelsPerTile: Int { isa == .avx512 ? 2 : 1 }

    /// Packed A panels (of `Gemm.mr` rows) per tile, where two are left.
    var rowPanelsPerTile: Int { isa == .avx512 ? 2 : 1 }

    /// C[0..<rows, 0..<cols] (+)= A panels · B panels over `kc` depths; `panels` (1 or
    /// `panelsPerTile`) valid B panels start at `b`, `kc` · 16 floats apart, and A panels at
    /// `a`, `kc` · 6 floats apart (two when `rows` > 6, on AVX-512 only).
    @inline(__always)
    func packed(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        switch isa {
        case .avx512 where rows > Gemm.mr:
            avx512GemmTileTwelve(
                kc: kc, a0: a, a1: a + Gemm.mr * kc, b0: b, b1: panels > 1 ? b + Gemm.nr * kc : b, c: c, ldc: ldc,
                rows: rows, cols: cols, accumulate: accumulate)
        case .avx2:
            avx2GemmTile(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case .avx512:
            avx512GemmTile(
                kc: kc, a: a, b0: b, b1: panels > 1 ? b + Gemm.nr * kc : b, c: c, ldc: ldc, rows: rows,
                cols: cols, accumulate: accumulate)
        }
    }

    /// c[0..<cols] (+)= a · B for a single row a of `kc` depths, B packed panels as for
    /// `packed` (all `cols` of them); the bits of `inPlace` with one row.
    @inline(__always)
    func oneRow(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, cols: Int,
        accumulate: Bool
    ) {
        switch isa {
        case .avx2: avx2OneRow(kc: kc, a: a, b: b, c: c, cols: cols, accumulate: accumulate)
        case .avx512: avx512OneRow(kc: kc, a: a, b: b, c: c, cols: cols, accumulate: accumulate)
        }
    }

    /// As `packed`, with up to `Gemm.mr` · `rowPanelsPerTile` rows of A read in place, `lda`
    /// apart, in the lowest kernel that holds `rows` (4, 6, 8 or 12 rows high).
    @inline(__always)
    func inPlace(
        kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        let b1 = panels > 1 ? b + Gemm.nr * kc : b
        switch (isa, rows) {
        case (.avx2, ...4):
            avx2RowTile4(kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case (.avx2, _):
            avx2RowTile6(kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case (.avx512, ...4):
            avx512RowTile4(
                kc: kc, a: a, lda: lda, b0: b, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case (.avx512, ...6):
            avx512RowTile6(
                kc: kc, a: a, lda: lda, b0: b, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case (.avx512, ...8):
            avx512RowTile8(
                kc: kc, a: a, lda: lda, b0: b, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case (.avx512, _):
            avx512RowTile12(
                kc: kc, a: a, lda: lda, b0: b, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        }
    }

    /// One tile of the im2col-free convolution (`GemmTile.inPlace`): up to `Gemm.mr` ·
    /// `rowPanelsPerTile` output pixels at the addresses in `pixels`, by the `panels` (1 or
    /// `panelsPerTile`) B panels at `b`, each of `segments` · `run` depths, and their biases at
    /// `bias`; kernel heights as in `inPlace`.
    @inline(__always)
    func convolution(
        pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
        b: UnsafePointer<Float>, panels: Int, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        cols: Int
    ) {
        let next = panels > 1 ? Gemm.nr : 0, b1 = b + next * run * segments, bias1 = bias + next
        switch (isa, rows) {
        case (.avx2, ...4):
            avx2ConvTile4(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b: b, bias: bias, c: c,
                ldc: ldc, cols: cols)
        case (.avx2, _):
            avx2ConvTile6(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b: b, bias: bias, c: c,
                ldc: ldc, cols: cols)
        case (.avx512, ...4):
            avx512ConvTile4(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b, b1: b1, bias0: bias,
                bias1: bias1, c: c, ldc: ldc, cols: cols)
        case (.avx512, ...6):
            avx512ConvTile6(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b, b1: b1, bias0: bias,
                bias1: bias1, c: c, ldc: ldc, cols: cols)
        case (.avx512, ...8):
            avx512ConvTile8(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b, b1: b1, bias0: bias,
                bias1: bias1, c: c, ldc: ldc, cols: cols)
        case (.avx512, _):
            avx512ConvTile12(
                pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b, b1: b1, bias0: bias,
                bias1: bias1, c: c, ldc: ldc, cols: cols)
        }
    }
}
