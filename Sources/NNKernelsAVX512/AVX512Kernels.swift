import NNKernelTemplates

// The micro-kernels of `NNKernelTemplates` for 16-wide vectors, compiled with AVX512F/VL/BW/DQ
// (Package.swift): any instruction in this module may be AVX-512, so NNCore calls in only
// after its CPUID check (`KernelISA`). `@inline(never)` keeps callers from inlining them into
// code built with other flags.

/// `GemmTile.packed` on a 6×32 tile: two neighbouring B panels of `kc` depths (`b1` may equal
/// `b0` for a last lone panel, `cols` ≤ 16; the duplicate half is never stored).
@inline(never)
public func avx512GemmTile(
    kc: Int, a: UnsafePointer<Float>, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    GemmTile.packed(
        SIMD16<Float>.self, kc: kc, a: a, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `GemmTile.packedTwelve` on a 12×32 tile: two neighbouring A panels (`rows` 7...12) and
/// B panels as in `avx512GemmTile`.
@inline(never)
public func avx512GemmTileTwelve(
    kc: Int, a0: UnsafePointer<Float>, a1: UnsafePointer<Float>, b0: UnsafePointer<Float>,
    b1: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    GemmTile.packedTwelve(
        SIMD16<Float>.self, kc: kc, a0: a0, a1: a1, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `GemmTile.inPlace` on `rows` (1...12) rows of a row-major matrix, `lda` apart, by 32 columns,
/// B panels as in `avx512GemmTile`, in a kernel 4, 6, 8 or 12 rows high: `TileKernels` takes the
/// lowest that holds `rows`, so a short last tile computes fewer rows only to drop them. Each
/// height is a function of its own, where it is a constant and the compiler drops the rows past
/// it (instantiated at several heights in one function, the kernel stays out of line).
@inline(never)
public func avx512RowTile4(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(
        height: 4, kc: kc, a: a, lda: lda, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `avx512RowTile4` 6 rows high.
@inline(never)
public func avx512RowTile6(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(
        height: 6, kc: kc, a: a, lda: lda, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `avx512RowTile4` 8 rows high.
@inline(never)
public func avx512RowTile8(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(
        height: 8, kc: kc, a: a, lda: lda, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

/// `avx512RowTile4` 12 rows high.
@inline(never)
public func avx512RowTile12(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(
        height: 12, kc: kc, a: a, lda: lda, b0: b0, b1: b1, c: c, ldc: ldc, rows: rows, cols: cols,
        accumulate: accumulate)
}

@inline(__always)
private func rowTile(
    height: Int, kc: Int, a: UnsafePointer<Float>, lda: Int, b0: UnsafePointer<Float>, b1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    let source = StridedRows(a, lda: lda), zero = SIMD16<Float>()
    GemmTile.inPlace(
        SIMD16<Float>.self, rows: source, count: rows, run: kc, segments: 1, pitch: 0, b0: b0, b1: b1,
        start: zero, zero, c: c, ldc: ldc, cols: cols, accumulate: accumulate, height: height)
}

/// `GateMath` over `count` floats in place: 0 exp, 1 sigmoid, 2 tanh.
@inline(never)
public func avx512Gate(_ function: Int, _ values: UnsafeMutablePointer<Float>, count: Int) {
    switch function {
    case 0: GateMath.apply(SIMD16<Float>.self, values, count: count) { GateMath.exp($0) }
    case 1: GateMath.apply(SIMD16<Float>.self, values, count: count) { GateMath.sigmoid($0) }
    default: GateMath.apply(SIMD16<Float>.self, values, count: count) { GateMath.tanh($0) }
    }
}

/// `GateMath.lstmCellForward` on one row.
@inline(never)
public func avx512LSTMCellForward(
    gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
    tanhCell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, units: Int
) {
    GateMath.lstmCellForward(
        SIMD16<Float>.self, gates: gates, previousCell: previousCell, cell: cell, tanhCell: tanhCell, state: state,
        units: units)
}

/// `GateMath.lstmCellBackward` on one row.
@inline(never)
public func avx512LSTMCellBackward(
    gates: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, tanhCell: UnsafePointer<Float>,
    dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>, units: Int
) {
    GateMath.lstmCellBackward(
        SIMD16<Float>.self, gates: gates, previousCell: previousCell, tanhCell: tanhCell, dh: dh, dc: dc, dz: dz,
        units: units)
}

/// `GemmTile.oneRow` with SIMD16 column blocks.
@inline(never)
public func avx512OneRow(
    kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, cols: Int,
    accumulate: Bool
) {
    GemmTile.oneRow(SIMD16<Float>.self, kc: kc, a: a, b: b, c: c, cols: cols, accumulate: accumulate)
}

/// `GemmTile.inPlace` on `rows` (1...12) pixels of a zero-padded image by 32 columns, summed
/// from their biases (`bias0`, `bias1`, as `b0`, `b1`) over `segments` runs
/// (`ImplicitConvolution`), in a kernel 4, 6, 8 or 12 rows high as for `avx512RowTile4`.
@inline(never)
public func avx512ConvTile4(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bias0: UnsafePointer<Float>, bias1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 4, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b0, b1: b1,
        bias0: bias0, bias1: bias1, c: c, ldc: ldc, cols: cols)
}

/// `avx512ConvTile4` 6 rows high.
@inline(never)
public func avx512ConvTile6(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bias0: UnsafePointer<Float>, bias1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 6, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b0, b1: b1,
        bias0: bias0, bias1: bias1, c: c, ldc: ldc, cols: cols)
}

/// `avx512ConvTile4` 8 rows high.
@inline(never)
public func avx512ConvTile8(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bias0: UnsafePointer<Float>, bias1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 8, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b0, b1: b1,
        bias0: bias0, bias1: bias1, c: c, ldc: ldc, cols: cols)
}

/// `avx512ConvTile4` 12 rows high.
@inline(never)
public func avx512ConvTile12(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bias0: UnsafePointer<Float>, bias1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 12, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b0: b0, b1: b1,
        bias0: bias0, bias1: bias1, c: c, ldc: ldc, cols: cols)
}

@inline(__always)
private func convTile(
    height: Int, pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b0: UnsafePointer<Float>, b1: UnsafePointer<Float>, bias0: UnsafePointer<Float>, bias1: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    let source = ListedRows(pixels)
    let lo = UnsafeRawPointer(bias0).loadUnaligned(as: SIMD16<Float>.self)
    let hi = UnsafeRawPointer(bias1).loadUnaligned(as: SIMD16<Float>.self)
    GemmTile.inPlace(
        SIMD16<Float>.self, rows: source, count: rows, run: run, segments: segments, pitch: pitch, b0: b0,
        b1: b1, start: lo, hi, c: c, ldc: ldc, cols: cols, accumulate: false, height: height)
}
