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

    /// C[0..<rows, 0..<cols] (+)= A panel · B panels over `kc` depths; `panels` (1 or
    /// `panelsPerTile`) valid panels start at `b`, `kc` · 16 floats apart.
    @inline(__always)
    func packed(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        switch isa {
        case .avx2:
            avx2GemmTile(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case .avx512:
            avx512GemmTile(
                kc: kc, a: a, b0: b, b1: panels > 1 ? b + Gemm.nr * kc : b, c: c, ldc: ldc, rows: rows,
                cols: cols, accumulate: accumulate)
        }
    }

    /// As `packed`, with up to six rows of A read in place, `lda` apart.
    @inline(__always)
    func inPlace(
        kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, panels: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
    ) {
        switch isa {
        case .avx2:
            avx2RowTile(
                kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
        case .avx512:
            avx512RowTile(
                kc: kc, a: a, lda: lda, b0: b, b1: panels > 1 ? b + Gemm.nr * kc : b, c: c, ldc: ldc,
                rows: rows, cols: cols, accumulate: accumulate)
        }
    }
}
