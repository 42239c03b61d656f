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
    /// cols ← im2col(x) for one image.
    static func gather(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        forEachRun(g) { offset, source, count, zerosBefore, zerosAfter in
            let dst = cols + offset
            fill(dst, count: zerosBefore)
            copy(x + source, to: dst + zerosBefore, count: count)
            fill(dst + zerosBefore + count, count: zerosAfter)
        }
    }

    /// dx ← col2im(dcols) for one image: every tap's gradient added back to the pixel it was
    /// read from, in a fixed order.
    static func scatter(_ g: ConvGeometry, cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: g.inputSize)
        forEachRun(g) { offset, source, count, zerosBefore, _ in
            guard count > 0 else { return }
            add(cols + offset + zerosBefore, into: dx + source, count: count)
        }
    }

    /// Calls `body` once per (output pixel, kernel row) with: the offset in cols where that
    /// kernel row's taps start, the start of the in-image run in x, its length, and how many
    /// padded values precede and follow it. Kernel rows go outermost within an output row, so
    /// that the interior pixels, whose kernel row lies wholly inside the image, form one tight
    /// loop of equal runs.
    @inline(__always)
    private static func forEachRun(_ g: ConvGeometry, _ body: (Int, Int, Int, Int, Int) -> Void) {
        let c = g.inputChannels, kw = g.kernelWidth, sw = g.strideWidth
        let rowLength = kw * c
        let patch = g.patchSize
        // Output columns interiorStart..<interiorEnd read no padding: left ≥ 0, left + kw ≤ W.
        let interiorStart = min(g.outputWidth, (g.padLeft + sw - 1) / sw)
        let interiorEnd = max(interiorStart, min(g.outputWidth, (g.inputWidth - kw + g.padLeft) / sw + 1))
        for oy in 0..<g.outputHeight {
            let top = oy * g.strideHeight - g.padTop
            let rowStart = oy * g.outputWidth * patch
            for ky in 0..<g.kernelHeight {
                let iy = top + ky
                let kernelRow = rowStart + ky * rowLength
                if iy < 0 || iy >= g.inputHeight {
                    for ox in 0..<g.outputWidth { body(kernelRow + ox * patch, 0, 0, rowLength, 0) }
                    continue
                }
                let line = iy * g.inputWidth
                for ox in 0..<interiorStart { edge(ox) }
                for ox in interiorStart..<interiorEnd {
                    body(kernelRow + ox * patch, (line + ox * sw - g.padLeft) * c, rowLength, 0, 0)
                }
                for ox in interiorEnd..<g.outputWidth { edge(ox) }

                @inline(__always) func edge(_ ox: Int) {
                    let left = ox * sw - g.padLeft
                    // Kernel columns kx in firstX..<lastX land inside the image.
                    let firstX = max(0, -left), lastX = min(kw, g.inputWidth - left)
                    if firstX >= lastX {
                        body(kernelRow + ox * patch, 0, 0, rowLength, 0)
                    } else {
                        body(kernelRow + ox * patch, (line + left + firstX) * c, (lastX - firstX) * c,
                             firstX * c, (kw - lastX) * c)
                    }
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
