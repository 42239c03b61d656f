/// im2col and its adjoint col2im for one channels-last image.
///
/// Shape legend: x `[H, W, C]` ⇄ cols `[outH·outW, kh·kw·C]`. Row (oy, ox) of cols holds the
/// receptive field of that output pixel in (ky, kx, c) order; taps that fall in the padding
/// are zero. Because C is innermost in both, the taps of one kernel row that lie inside the
/// image form one contiguous run of x, copied (or added back) in one go.
///
/// One image at a time keeps cols small enough to stay in the cache between im2col and the
/// GEMM that reads it; callers parallelise over images.
enum Im2Col {
    /// Floats of room `gather` needs past the end of `cols`.
    static let slack = 8

    /// cols ← im2col(x) for one image. `cols` needs `slack` floats of room past its end: an
    /// interior kernel row of at most 8 floats is moved as one 8-float vector, whose surplus
    /// the next run (written right after it, at the next offset) overwrites.
    static func gather(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        let rowLength = g.kernelWidth * g.inputChannels, lineLength = g.inputWidth * g.inputChannels
        let lastReadable = x + g.inputSize - 8
        forEachPixel(g) { pixel, firstY, lastY, window in
            var dst = cols + pixel
            fill(dst, count: firstY * rowLength)
            dst += firstY * rowLength
            switch window {
            case .interior(let source):
                var src = x + source
                if rowLength <= 8 && src + (lastY - firstY - 1) * lineLength <= lastReadable {
                    for _ in firstY..<lastY {
                        UnsafeMutableRawPointer(dst).storeBytes(of: UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self),
                                                                as: SIMD8<Float>.self)
                        dst += rowLength
                        src += lineLength
                    }
                } else {
                    for _ in firstY..<lastY {
                        copy(src, to: dst, count: rowLength)
                        dst += rowLength
                        src += lineLength
                    }
                }
            case .edge(let source, let count, let zerosBefore):
                for row in 0..<(lastY - firstY) {
                    fill(dst, count: zerosBefore)
                    copy(x + source + row * lineLength, to: dst + zerosBefore, count: count)
                    fill(dst + zerosBefore + count, count: rowLength - zerosBefore - count)
                    dst += rowLength
                }
            }
            fill(dst, count: (g.kernelHeight - lastY) * rowLength)
        }
    }

    /// dx ← col2im(dcols) for one image: every tap's gradient added back to the pixel it was
    /// read from, in a fixed order.
    static func scatter(_ g: ConvGeometry, cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let rowLength = g.kernelWidth * g.inputChannels, lineLength = g.inputWidth * g.inputChannels
        dx.update(repeating: 0, count: g.inputSize)
        forEachPixel(g) { pixel, firstY, lastY, window in
            let src = cols + pixel
            switch window {
            case .interior(let source):
                for ky in firstY..<lastY {
                    add(src + ky * rowLength, into: dx + source + (ky - firstY) * lineLength, count: rowLength)
                }
            case .edge(let source, let count, let zerosBefore):
                for ky in firstY..<lastY {
                    add(src + ky * rowLength + zerosBefore, into: dx + source + (ky - firstY) * lineLength, count: count)
                }
            }
        }
    }

    /// Where one output pixel's kernel rows read x: all kw·C taps from `source` on, or (at
    /// the left and right borders) `count` taps from `source` after `zerosBefore` padded ones.
    /// `source` is the first in-image kernel row's; each next row is one image line further.
    enum Window {
        case interior(source: Int)
        case edge(source: Int, count: Int, zerosBefore: Int)
    }

    /// Calls `body(pixelOffset, firstY, lastY, window)` for every output pixel in order: the
    /// offset of its row in cols, the kernel rows firstY..<lastY that land inside the image,
    /// and where they read.
    @inline(__always)
    private static func forEachPixel(_ g: ConvGeometry, _ body: (Int, Int, Int, Window) -> Void) {
        let c = g.inputChannels, kw = g.kernelWidth, kh = g.kernelHeight, sw = g.strideWidth
        let patch = g.patchSize
        // Output columns interiorStart..<interiorEnd read no padding: left ≥ 0, left + kw ≤ W.
        let interiorStart = min(g.outputWidth, (g.padLeft + sw - 1) / sw)
        let interiorEnd = max(interiorStart, min(g.outputWidth, (g.inputWidth - kw + g.padLeft) / sw + 1))
        for oy in 0..<g.outputHeight {
            let top = oy * g.strideHeight - g.padTop
            let firstY = min(kh, max(0, -top)), lastY = max(firstY, min(kh, g.inputHeight - top))
            let line = (top + firstY) * g.inputWidth
            for ox in 0..<g.outputWidth {
                let pixel = (oy * g.outputWidth + ox) * patch
                let left = ox * sw - g.padLeft
                if ox >= interiorStart && ox < interiorEnd {
                    body(pixel, firstY, lastY, .interior(source: (line + left) * c))
                } else {
                    // Kernel columns kx in firstX..<lastX land inside the image.
                    let firstX = max(0, -left), lastX = max(firstX, min(kw, g.inputWidth - left))
                    let source = lastX > firstX ? (line + left + firstX) * c : 0
                    body(pixel, firstY, lastX > firstX ? lastY : firstY,
                         .edge(source: source, count: (lastX - firstX) * c, zerosBefore: firstX * c))
                }
            }
        }
    }

    /// Runs are a few to a few hundred floats: inline vector moves beat a library call. Short
    /// runs use two overlapping moves (the first and the last 4 or 8 floats).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        let s = UnsafeRawPointer(source), t = UnsafeMutableRawPointer(target)
        if count >= 8 {
            var i = 0
            while i + 8 <= count {
                t.storeBytes(of: s.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            if i < count {
                let last = (count - 8) * 4
                t.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
            }
        } else if count >= 4 {
            let last = (count - 4) * 4
            let head = s.loadUnaligned(as: SIMD4<Float>.self), tail = s.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self)
            t.storeBytes(of: head, as: SIMD4<Float>.self)
            t.storeBytes(of: tail, toByteOffset: last, as: SIMD4<Float>.self)
        } else {
            for i in 0..<count { target[i] = source[i] }
        }
    }

    @inline(__always)
    static func fill(_ target: UnsafeMutablePointer<Float>, count: Int) {
        let t = UnsafeMutableRawPointer(target)
        if count >= 8 {
            var i = 0
            while i + 8 <= count {
                t.storeBytes(of: SIMD8<Float>(), toByteOffset: i * 4, as: SIMD8<Float>.self)
                i += 8
            }
            if i < count { t.storeBytes(of: SIMD8<Float>(), toByteOffset: (count - 8) * 4, as: SIMD8<Float>.self) }
        } else if count >= 4 {
            t.storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
            t.storeBytes(of: SIMD4<Float>(), toByteOffset: (count - 4) * 4, as: SIMD4<Float>.self)
        } else {
            for i in 0..<count { target[i] = 0 }
        }
    }

    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        let s = UnsafeRawPointer(source), t = UnsafeMutableRawPointer(target)
        var i = 0
        while i + 8 <= count {
            let sum = t.loadUnaligned(fromByteOffset: i * 4, as: V.self) + s.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            t.storeBytes(of: sum, toByteOffset: i * 4, as: V.self)
            i += 8
        }
        while i < count {
            target[i] += source[i]
            i += 1
        }
    }
}
