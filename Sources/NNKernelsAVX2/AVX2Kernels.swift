import NNKernelTemplates

// The micro-kernels of `NNKernelTemplates` for 8-wide vectors, compiled with AVX2 and FMA
// (Package.swift). NNCore calls these only after its CPUID check (`KernelISA`). They are
// `@inline(never)` so that no caller inlines them into code built with other flags.

/// `GemmTile.packed` on a 6×16 tile: both halves from one B panel.
@inline(never)
public func avx2GemmTile(
    kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
    rows: Int, cols: Int, accumulate: Bool
) {
    GemmTile.packed(
        SIMD8<Float>.self, kc: kc, a: a, b0: b, b1: b + 8, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `GemmTile.inPlace` on a 6×16 tile.
@inline(never)
public func avx2RowTile(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    GemmTile.inPlace(
        SIMD8<Float>.self, kc: kc, a: a, lda: lda, b0: b, b1: b + 8, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}
