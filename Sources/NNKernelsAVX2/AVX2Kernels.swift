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

/// `GemmTile.inPlace` on `rows` (1...4) rows of a row-major matrix, `lda` apart, by one
/// 16-column panel: the 6-row kernel with its last two rows dropped (`avx512RowTile4`).
@inline(never)
public func avx2RowTile4(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(height: 4, kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
}

/// `avx2RowTile4` 6 rows high.
@inline(never)
public func avx2RowTile6(
    kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    rowTile(height: 6, kc: kc, a: a, lda: lda, b: b, c: c, ldc: ldc, rows: rows, cols: cols, accumulate: accumulate)
}

@inline(__always)
private func rowTile(
    height: Int, kc: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    ldc: Int, rows: Int, cols: Int, accumulate: Bool
) {
    GemmTile.inPlace(
        SIMD8<Float>.self, rows: StridedRows(a, lda: lda), count: rows, run: kc, segments: 1, pitch: 0, b0: b,
        b1: b + 8, start: SIMD8(), SIMD8(), c: c, ldc: ldc, cols: cols, accumulate: accumulate, height: height)
}

/// `GateMath` over `count` floats in place: 0 exp, 1 sigmoid, 2 tanh.
@inline(never)
public func avx2Gate(_ function: Int, _ values: UnsafeMutablePointer<Float>, count: Int) {
    switch function {
    case 0: GateMath.apply(SIMD8<Float>.self, values, count: count) { GateMath.exp($0) }
    case 1: GateMath.apply(SIMD8<Float>.self, values, count: count) { GateMath.sigmoid($0) }
    default: GateMath.apply(SIMD8<Float>.self, values, count: count) { GateMath.tanh($0) }
    }
}

/// `GateMath.lstmCellForward` on one row.
@inline(never)
public func avx2LSTMCellForward(
    gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
    tanhCell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, units: Int
) {
    GateMath.lstmCellForward(
        SIMD8<Float>.self, gates: gates, previousCell: previousCell, cell: cell, tanhCell: tanhCell, state: state,
        units: units)
}

/// `GateMath.lstmCellBackward` on one row.
@inline(never)
public func avx2LSTMCellBackward(
    gates: UnsafePointer<Float>, previousCell: UnsafePointer<Float>, tanhCell: UnsafePointer<Float>,
    dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>, units: Int
) {
    GateMath.lstmCellBackward(
        SIMD8<Float>.self, gates: gates, previousCell: previousCell, tanhCell: tanhCell, dh: dh, dc: dc, dz: dz,
        units: units)
}

/// `GemmTile.oneRow` with SIMD8 column blocks.
@inline(never)
public func avx2OneRow(
    kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, cols: Int,
    accumulate: Bool
) {
    GemmTile.oneRow(SIMD8<Float>.self, kc: kc, a: a, b: b, c: c, cols: cols, accumulate: accumulate)
}

/// `GemmTile.inPlace` on `rows` (1...4) pixels of a zero-padded image by one 16-column panel,
/// summed from their 16 biases over `segments` runs (`ImplicitConvolution`).
@inline(never)
public func avx2ConvTile4(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b: UnsafePointer<Float>, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 4, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b: b, bias: bias, c: c,
        ldc: ldc, cols: cols)
}

/// `avx2ConvTile4` 6 rows high.
@inline(never)
public func avx2ConvTile6(
    pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b: UnsafePointer<Float>, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    convTile(
        height: 6, pixels: pixels, rows: rows, run: run, segments: segments, pitch: pitch, b: b, bias: bias, c: c,
        ldc: ldc, cols: cols)
}

@inline(__always)
private func convTile(
    height: Int, pixels: UnsafePointer<UnsafePointer<Float>>, rows: Int, run: Int, segments: Int, pitch: Int,
    b: UnsafePointer<Float>, bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int
) {
    GemmTile.inPlace(
        SIMD8<Float>.self, rows: ListedRows(pixels), count: rows, run: run, segments: segments, pitch: pitch, b0: b,
        b1: b + 8, start: UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self),
        UnsafeRawPointer(bias + 8).loadUnaligned(as: SIMD8<Float>.self), c: c, ldc: ldc, cols: cols,
        accumulate: false, height: height)
}
