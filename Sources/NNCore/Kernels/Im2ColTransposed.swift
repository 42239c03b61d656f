/// im2col laid out the other way round, and its adjoint, for one channels-last image.
///
/// Shape legend: x `[H, W, C]` ⇄ colsT `[kh·kw·C, outH·outW]`: row (ky, kx, c) holds that tap
/// for every output pixel, zero where it falls in the padding. For a stride of 1 and one
/// channel a row is copied from x in runs of a whole output row, which is what makes this
/// layout cheap for first layers (few channels) where `Im2Col` moves a few floats at a time.
enum Im2ColTransposed {
    /// colsT ← im2colᵀ(x).
    static func gather(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        let step = g.strideWidth * g.inputChannels
        forEachRun(g) { dst, count, zerosBefore, zerosAfter, source in
            let row = cols + dst
            row.update(repeating: 0, count: zerosBefore)
            let out = row + zerosBefore, src = x + source
            if step == 1 {
                Im2Col.copy(src, to: out, count: count)
            } else {
                for i in 0..<count { out[i] = src[i * step] }
            }
            (out + count).update(repeating: 0, count: zerosAfter)
        }
    }

    /// dx ← col2imᵀ(dcolsT): every tap's gradient added back to the pixel it was read from,
    /// taps in order.
    static func scatter(_ g: ConvGeometry, cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let step = g.strideWidth * g.inputChannels
        dx.update(repeating: 0, count: g.inputSize)
        forEachRun(g) { dst, count, zerosBefore, _, source in
            let from = cols + dst + zerosBefore, to = dx + source
            if step == 1 {
                Im2Col.add(from, into: to, count: count)
            } else {
                for i in 0..<count { to[i * step] += from[i] }
            }
        }
    }

    /// Calls `body(offset, count, zerosBefore, zerosAfter, source)` for every (tap, output
    /// row): the run's offset in colsT, how many of its outWidth pixels read inside the image
    /// (a run that starts at `source` in x, one horizontal stride apart) and how many padded
    /// ones precede and follow them.
    @inline(__always)
    private static func forEachRun(_ g: ConvGeometry, _ body: (Int, Int, Int, Int, Int) -> Void) {
        let c = g.inputChannels, ow = g.outputWidth, sw = g.strideWidth
        let pixels = g.outputPixels
        var tap = 0
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                // Output columns firstX..<lastX read inside the image: 0 ≤ ox·sw − padLeft + kx < W.
                let shift = g.padLeft - kx
                let firstX = min(ow, shift > 0 ? (shift + sw - 1) / sw : 0)
                let lastX = max(
                    firstX, min(ow, (g.inputWidth - 1 + shift) >= 0 ? (g.inputWidth - 1 + shift) / sw + 1 : 0))
                for channel in 0..<c {
                    for oy in 0..<g.outputHeight {
                        let iy = oy * g.strideHeight - g.padTop + ky
                        let offset = tap * pixels + oy * ow
                        if iy < 0 || iy >= g.inputHeight || firstX == lastX {
                            body(offset, 0, ow, 0, 0)
                        } else {
                            let source = (iy * g.inputWidth + firstX * sw - shift) * c + channel
                            body(offset, lastX - firstX, firstX, ow - lastX, source)
                        }
                    }
                    tap += 1
                }
            }
        }
    }
}
