/// im2col and its adjoint col2im for channels-last images.
///
/// Shape legend: x `[N, H, W, C]` ⇄ cols `[N·outH·outW, kh·kw·C]`. Row (n, oy, ox) of cols
/// holds the receptive field of that output pixel in (ky, kx, c) order; taps that fall in the
/// padding are zero. Because C is innermost in both, the taps of one kernel row that lie
/// inside the image form one contiguous run of x, copied (or added back) in one go.
///
/// Work is split by sample and each sample's writes stay inside that sample, so the result
/// does not depend on the thread count.
enum Im2Col {
    /// cols ← im2col(x).
    static func gather(_ g: ConvGeometry, batch: Int, x: UnsafePointer<Float>,
                       cols: UnsafeMutablePointer<Float>, threads: Int) {
        Parallel.forEach(chunks: batch, threads: threads) { n in
            forEachRun(g, sample: n) { row, offset, source, count, zerosBefore, zerosAfter in
                let dst = cols + row + offset
                dst.update(repeating: 0, count: zerosBefore)
                if count > 0 { (dst + zerosBefore).update(from: x + source, count: count) }
                (dst + zerosBefore + count).update(repeating: 0, count: zerosAfter)
            }
        }
    }

    /// dx ← col2im(dcols): every tap's gradient added back to the pixel it was read from.
    static func scatter(_ g: ConvGeometry, batch: Int, cols: UnsafePointer<Float>,
                        dx: UnsafeMutablePointer<Float>, threads: Int) {
        Parallel.forEach(chunks: batch, threads: threads) { n in
            (dx + n * g.inputSize).update(repeating: 0, count: g.inputSize)
            forEachRun(g, sample: n) { row, offset, source, count, zerosBefore, _ in
                guard count > 0 else { return }
                add(cols + row + offset + zerosBefore, into: dx + source, count: count)
            }
        }
    }

    /// Calls `body` once per (output pixel, kernel row) with: the start of that pixel's cols
    /// row, the offset of the kernel row inside it, the start of the in-image run in x, its
    /// length, and how many padded values precede and follow it.
    @inline(__always)
    private static func forEachRun(_ g: ConvGeometry, sample n: Int,
                                   _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let c = g.inputChannels, kw = g.kernelWidth
        let rowLength = kw * c
        let patch = g.patchSize
        for oy in 0..<g.outputHeight {
            let top = oy * g.strideHeight - g.padTop
            for ox in 0..<g.outputWidth {
                let left = ox * g.strideWidth - g.padLeft
                // Kernel columns kx in firstX..<lastX land inside the image.
                let firstX = max(0, -left), lastX = min(kw, g.inputWidth - left)
                let row = ((n * g.outputHeight + oy) * g.outputWidth + ox) * patch
                for ky in 0..<g.kernelHeight {
                    let iy = top + ky
                    let offset = ky * rowLength
                    if iy < 0 || iy >= g.inputHeight || firstX >= lastX {
                        body(row, offset, 0, 0, rowLength, 0)
                        continue
                    }
                    let source = ((n * g.inputHeight + iy) * g.inputWidth + left + firstX) * c
                    body(row, offset, source, (lastX - firstX) * c, firstX * c, (kw - lastX) * c)
                }
            }
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
