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
    static let slack = 16

    /// cols ← im2col(x) for one image. `cols` needs `slack` floats of room past its end: an
    /// interior kernel row of at most 8 (or 16) floats is moved as one 8-float (or 16-float)
    /// vector, whose surplus the next run (written right after it, at the next offset)
    /// overwrites. Three channels by three taps make 9-float rows: a first layer on RGB images.
    static func gather(_ g: ConvGeometry, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        let w = Walk(g)
        let short = w.rowLength <= 8, medium = !short && w.rowLength <= 16
        let lastReadable = x + g.inputSize - (short ? 8 : 16)
        w.forEachOutputRow { oy, firstY, lastY, line in
            let rows = lastY - firstY
            let above = firstY * w.rowLength, below = (g.kernelHeight - lastY) * w.rowLength
            w.forEachPixel(row: oy, line: line) { pixel, source in
                var dst = cols + pixel
                fill(dst, count: above)
                dst += above
                var src = x + source
                /// Moves each kernel row as one vector of `Vector`'s width.
                @inline(__always) func moveRows<Vector: SIMD>(as _: Vector.Type) where Vector.Scalar == Float {
                    for _ in 0..<rows {
                        UnsafeMutableRawPointer(dst).storeBytes(
                            of: UnsafeRawPointer(src).loadUnaligned(as: Vector.self), as: Vector.self)
                        dst += w.rowLength
                        src += w.lineLength
                    }
                }
                let vectorsFit = src + (rows - 1) * w.lineLength <= lastReadable
                if short && vectorsFit {
                    moveRows(as: SIMD8<Float>.self)
                } else if medium && vectorsFit {
                    moveRows(as: SIMD16<Float>.self)
                } else {
                    for _ in 0..<rows {
                        copy(src, to: dst, count: w.rowLength)
                        dst += w.rowLength
                        src += w.lineLength
                    }
                }
                fill(dst, count: below)
            } edge: { pixel, source, count, zerosBefore in
                var dst = cols + pixel
                fill(dst, count: above)
                dst += above
                for row in 0..<(count > 0 ? rows : 0) {
                    fill(dst, count: zerosBefore)
                    copy(x + source + row * w.lineLength, to: dst + zerosBefore, count: count)
                    fill(dst + zerosBefore + count, count: w.rowLength - zerosBefore - count)
                    dst += w.rowLength
                }
                fill(dst, count: count > 0 ? below : (g.kernelHeight - firstY) * w.rowLength)
            }
        }
    }

    /// dx ← col2im(dcols) for one image: every tap's gradient added back to the pixel it was
    /// read from, in a fixed order.
    static func scatter(_ g: ConvGeometry, cols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let w = Walk(g)
        dx.update(repeating: 0, count: g.inputSize)
        w.forEachOutputRow { oy, firstY, lastY, line in
            w.forEachPixel(row: oy, line: line) { pixel, source in
                for ky in firstY..<lastY {
                    add(
                        cols + pixel + ky * w.rowLength, into: dx + source + (ky - firstY) * w.lineLength,
                        count: w.rowLength)
                }
            } edge: { pixel, source, count, zerosBefore in
                guard count > 0 else { return }
                for ky in firstY..<lastY {
                    add(
                        cols + pixel + ky * w.rowLength + zerosBefore, into: dx + source + (ky - firstY) * w.lineLength,
                        count: count)
                }
            }
        }
    }

    /// The walk over output pixels shared by gather and scatter, in increasing cols order.
    struct Walk {
        let g: ConvGeometry
        /// Floats in one kernel row of taps (kw·C) and in one image line (W·C).
        let rowLength: Int
        let lineLength: Int
        /// Output columns interiorStart..<interiorEnd read no padding: left ≥ 0, left + kw ≤ W.
        let interiorStart: Int
        let interiorEnd: Int

        init(_ g: ConvGeometry) {
            self.g = g
            rowLength = g.kernelWidth * g.inputChannels
            lineLength = g.inputWidth * g.inputChannels
            let sw = g.strideWidth
            interiorStart = min(g.outputWidth, (g.padLeft + sw - 1) / sw)
            interiorEnd = max(interiorStart, min(g.outputWidth, (g.inputWidth - g.kernelWidth + g.padLeft) / sw + 1))
        }

        /// Calls `body(oy, firstY, lastY, line)` per output row: the kernel rows firstY..<lastY
        /// that land inside the image, and the offset in x of the first one's image line.
        @inline(__always)
        func forEachOutputRow(_ body: (Int, Int, Int, Int) -> Void) {
            for oy in 0..<g.outputHeight {
                let top = oy * g.strideHeight - g.padTop
                let firstY = min(g.kernelHeight, max(0, -top))
                let lastY = max(firstY, min(g.kernelHeight, g.inputHeight - top))
                body(oy, firstY, lastY, (top + firstY) * lineLength)
            }
        }

        /// Calls, for each pixel of output row `oy` in order, `interior(pixel, source)`
        /// (its cols offset and the offset in x of its first in-image tap) or, at the borders,
        /// `edge(pixel, source, count, zerosBefore)`: `count` in-image taps per kernel row after
        /// `zerosBefore` padded ones (count 0: the window misses the image).
        @inline(__always)
        func forEachPixel(row oy: Int, line: Int, _ interior: (Int, Int) -> Void, edge: (Int, Int, Int, Int) -> Void) {
            let c = g.inputChannels, kw = g.kernelWidth, sw = g.strideWidth
            let rowStart = oy * g.outputWidth * g.patchSize
            func border(_ ox: Int) {
                let left = ox * sw - g.padLeft
                let firstX = max(0, -left), lastX = max(firstX, min(kw, g.inputWidth - left))
                edge(rowStart + ox * g.patchSize, line + (left + firstX) * c, (lastX - firstX) * c, firstX * c)
            }
            for ox in 0..<interiorStart { border(ox) }
            var pixel = rowStart + interiorStart * g.patchSize
            var source = line + (interiorStart * sw - g.padLeft) * c
            for _ in interiorStart..<interiorEnd {
                interior(pixel, source)
                pixel += g.patchSize
                source += sw * c
            }
            for ox in interiorEnd..<g.outputWidth { border(ox) }
        }
    }

    /// Runs are a few to a few hundred floats: inline vector moves beat a library call. Short
    /// runs use two overlapping moves (the first and the last 4, 8 or 16 floats); long ones
    /// move 16 floats a step (wrapping index arithmetic: counts are small and positive).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        let s = UnsafeRawPointer(source), t = UnsafeMutableRawPointer(target)
        @inline(__always) func move<Vector: SIMD>(_: Vector.Type, at offset: Int) where Vector.Scalar == Float {
            t.storeBytes(
                of: s.loadUnaligned(fromByteOffset: offset &* 4, as: Vector.self), toByteOffset: offset &* 4,
                as: Vector.self)
        }
        if count >= 16 {
            var i = 0
            while i &+ 16 <= count {
                move(SIMD16<Float>.self, at: i)
                i &+= 16
            }
            if i < count { move(SIMD16<Float>.self, at: count &- 16) }
        } else if count >= 8 {
            move(SIMD8<Float>.self, at: 0)
            move(SIMD8<Float>.self, at: count &- 8)
        } else if count >= 4 {
            move(SIMD4<Float>.self, at: 0)
            move(SIMD4<Float>.self, at: count &- 4)
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
            let sum =
                t.loadUnaligned(fromByteOffset: i * 4, as: V.self) + s.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            t.storeBytes(of: sum, toByteOffset: i * 4, as: V.self)
            i += 8
        }
        while i < count {
            target[i] += source[i]
            i += 1
        }
    }

    /// target[j] += Σ_r source[r·width + j] for r in order: per element the same additions in
    /// the same order as `add` called row by row, but the running sums stay in registers
    /// instead of going through memory once per row (a bias gradient over every pixel). Four
    /// vectors of columns at a time: one running sum alone would wait on its own last addition
    /// at every row.
    static func addRows(
        _ source: UnsafePointer<Float>, rows: Int, width: Int, into target: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        let s = UnsafeRawPointer(source)
        var j = 0
        while j + 32 <= width {
            let t = UnsafeMutableRawPointer(target + j)
            var s0 = t.loadUnaligned(as: V.self), s1 = t.loadUnaligned(fromByteOffset: 32, as: V.self)
            var s2 = t.loadUnaligned(fromByteOffset: 64, as: V.self),
                s3 = t.loadUnaligned(fromByteOffset: 96, as: V.self)
            for r in 0..<rows {
                let row = s + (r * width + j) * 4
                s0 += row.loadUnaligned(as: V.self)
                s1 += row.loadUnaligned(fromByteOffset: 32, as: V.self)
                s2 += row.loadUnaligned(fromByteOffset: 64, as: V.self)
                s3 += row.loadUnaligned(fromByteOffset: 96, as: V.self)
            }
            t.storeBytes(of: s0, as: V.self)
            t.storeBytes(of: s1, toByteOffset: 32, as: V.self)
            t.storeBytes(of: s2, toByteOffset: 64, as: V.self)
            t.storeBytes(of: s3, toByteOffset: 96, as: V.self)
            j += 32
        }
        while j + 8 <= width {
            var sum = UnsafeRawPointer(target + j).loadUnaligned(as: V.self)
            for r in 0..<rows { sum += s.loadUnaligned(fromByteOffset: (r * width + j) * 4, as: V.self) }
            UnsafeMutableRawPointer(target + j).storeBytes(of: sum, as: V.self)
            j += 8
        }
        let tail = width - j
        guard tail > 0 else { return }
        var sum = V()
        for lane in 0..<tail { sum[lane] = target[j + lane] }
        for r in 0..<rows {
            var row = V()
            for lane in 0..<tail { row[lane] = source[r * width + j + lane] }
            sum += row
        }
        for lane in 0..<tail { target[j + lane] = sum[lane] }
    }

    /// target[r·width ..< (r+1)·width] = row for r in 0..<rows (a bias ahead of a product that
    /// adds to it), with the inline moves of `copy`: a library call per row of a few dozen
    /// floats cost more.
    @inline(__always)
    static func repeatRow(
        _ row: UnsafePointer<Float>, rows: Int, width: Int, into target: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows { copy(row, to: target + r * width, count: width) }
    }
}
