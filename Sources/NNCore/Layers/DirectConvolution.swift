/// Direct convolution of a one-channel image with stride 1, for the channel-rows layout: the
/// output planes and the weight gradient computed from a zero-padded copy of the image,
/// without the colsT matrix `Im2ColTransposed` would write (kh·kw shifted copies of the image,
/// 78 KB for LeNet's first layer) nor the GEMM's packing of it. Training and inference both
/// use it (`ConvImageKernel`, `FusedConvolution`).
///
/// Why the planes' bits equal the GEMM's: the micro-kernel starts each output at zero and adds
/// the products tap by tap in (ky, kx) order with fused multiply-adds; so does `planes`.
///
/// Shape legend: x `[H, W, 1]`; the padded image `[Hp, pitch]` with Hp = outH + kh − 1 and
/// pitch = outW rounded up to 16, plus kw − 1, so a 16-float load at any output column and tap
/// stays inside its line; Wp and dWp `[O, kh·kw]`; planes and dyᵀ `[O, outH·outW]`.
enum DirectConvolution {
    /// True for geometries this path computes: one input channel, stride 1.
    static func suits(_ g: ConvGeometry) -> Bool {
        g.inputChannels == 1 && g.strideHeight == 1 && g.strideWidth == 1
    }

    /// Floats of the padded image.
    static func paddedCount(_ g: ConvGeometry) -> Int {
        (g.outputHeight + g.kernelHeight - 1) * pitch(g)
    }

    /// Floats `weightGradient` may read past the end of dyᵀ (and ignores).
    static let gradientSlack = 8

    private static func pitch(_ g: ConvGeometry) -> Int {
        (g.outputWidth + 15) / 16 * 16 + g.kernelWidth - 1
    }

    /// padded ← x with its padding (and the columns past it) zero.
    static func pad(_ g: ConvGeometry, x: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let pitch = pitch(g)
        padded.update(repeating: 0, count: paddedCount(g))
        for line in 0..<g.inputHeight {
            (padded + (line + g.padTop) * pitch + g.padLeft).update(from: x + line * g.inputWidth, count: g.inputWidth)
        }
    }

    /// yᵀ = Wp · im2colᵀ(x) into `planes` `[O, outH·outW]`, from the padded image.
    static func planes(
        _ g: ConvGeometry, padded: UnsafePointer<Float>, weight wp: UnsafePointer<Float>,
        planes: UnsafeMutablePointer<Float>
    ) {
        typealias Lanes = SIMD16<Float>
        let pitch = pitch(g), (kh, kw) = (g.kernelHeight, g.kernelWidth), taps = kh * kw
        let (outH, outW, outC) = (g.outputHeight, g.outputWidth, g.outputChannels), pixels = outH * outW
        // Four filters at a time share each load of the image; a short last group repeats its
        // last filter and stores only the real ones.
        for first in stride(from: 0, to: outC, by: 4) {
            let count = min(4, outC - first)
            let w0 = wp + first * taps, w1 = wp + (first + min(1, count - 1)) * taps
            let w2 = wp + (first + min(2, count - 1)) * taps, w3 = wp + (first + min(3, count - 1)) * taps
            for oy in 0..<outH {
                var ox = 0
                while ox < outW {
                    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
                    for ky in 0..<kh {
                        let row = UnsafeRawPointer(padded + (oy + ky) * pitch + ox)
                        for kx in 0..<kw {
                            let v = row.loadUnaligned(fromByteOffset: kx * 4, as: Lanes.self), tap = ky * kw + kx
                            a0.addProduct(Lanes(repeating: w0[tap]), v)
                            a1.addProduct(Lanes(repeating: w1[tap]), v)
                            a2.addProduct(Lanes(repeating: w2[tap]), v)
                            a3.addProduct(Lanes(repeating: w3[tap]), v)
                        }
                    }
                    let lanes = min(16, outW - ox), offset = oy * outW + ox
                    @inline(__always) func store(_ sums: Lanes, filter: Int) {
                        let out = planes + (first + filter) * pixels + offset
                        if lanes == 16 {
                            UnsafeMutableRawPointer(out).storeBytes(of: sums, as: Lanes.self)
                        } else {
                            for lane in 0..<lanes { out[lane] = sums[lane] }
                        }
                    }
                    store(a0, filter: 0)
                    if count > 1 { store(a1, filter: 1) }
                    if count > 2 { store(a2, filter: 2) }
                    if count > 3 { store(a3, filter: 3) }
                    ox += 16
                }
            }
        }
    }

    /// dWp[o, (ky, kx)] += Σ over output pixels of dyᵀ[o, (oy, ox)] · padded[oy + ky, ox + kx].
    ///
    /// Two filters by up to five taps of one kernel row at a time, eight output columns per
    /// step: each step loads two rows of dyᵀ and five of the image for ten multiply-adds. The
    /// last step of an output row masks the dyᵀ lanes past its end (they belong to the next
    /// row, or lie in the `gradientSlack` past the buffer), so those lanes add zeros. Each sum
    /// runs in its lanes in a fixed order and then across lanes: the bits depend on the
    /// geometry only, never on the batch, the thread count or the kernel set.
    static func weightGradient(
        _ g: ConvGeometry, padded: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        let pitch = pitch(g), (kh, kw) = (g.kernelHeight, g.kernelWidth), taps = kh * kw
        let (outH, outW, outC) = (g.outputHeight, g.outputWidth, g.outputChannels), pixels = outH * outW
        let fullSteps = outW / 8, tail = outW % 8
        var tailMask = SIMDMask<SIMD8<Int32>>()
        for lane in 0..<tail { tailMask[lane] = true }
        for first in stride(from: 0, to: outC, by: 2) {
            let d0 = UnsafeRawPointer(dy + first * pixels),
                d1 = UnsafeRawPointer(dy + min(first + 1, outC - 1) * pixels)
            for ky in 0..<kh {
                for kx in stride(from: 0, to: kw, by: 5) {
                    // Taps past the kernel row repeat its last one; their sums are dropped.
                    let t1 = min(kx + 1, kw - 1), t2 = min(kx + 2, kw - 1)
                    let t3 = min(kx + 3, kw - 1), t4 = min(kx + 4, kw - 1)
                    var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s04 = V()
                    var s10 = V(), s11 = V(), s12 = V(), s13 = V(), s14 = V()
                    @inline(__always) func step(_ a0: V, _ a1: V, _ image: UnsafeRawPointer) {
                        let y0 = image.loadUnaligned(fromByteOffset: kx * 4, as: V.self)
                        s00.addProduct(a0, y0)
                        s10.addProduct(a1, y0)
                        let y1 = image.loadUnaligned(fromByteOffset: t1 * 4, as: V.self)
                        s01.addProduct(a0, y1)
                        s11.addProduct(a1, y1)
                        let y2 = image.loadUnaligned(fromByteOffset: t2 * 4, as: V.self)
                        s02.addProduct(a0, y2)
                        s12.addProduct(a1, y2)
                        let y3 = image.loadUnaligned(fromByteOffset: t3 * 4, as: V.self)
                        s03.addProduct(a0, y3)
                        s13.addProduct(a1, y3)
                        let y4 = image.loadUnaligned(fromByteOffset: t4 * 4, as: V.self)
                        s04.addProduct(a0, y4)
                        s14.addProduct(a1, y4)
                    }
                    for oy in 0..<outH {
                        let image = UnsafeRawPointer(padded + (oy + ky) * pitch)
                        let row = oy * outW * 4
                        for s in 0..<fullSteps {
                            let at = row + s * 32
                            step(
                                d0.loadUnaligned(fromByteOffset: at, as: V.self),
                                d1.loadUnaligned(fromByteOffset: at, as: V.self), image + s * 32)
                        }
                        if tail > 0 {
                            let at = row + fullSteps * 32
                            let a0 = V().replacing(
                                with: d0.loadUnaligned(fromByteOffset: at, as: V.self), where: tailMask)
                            let a1 = V().replacing(
                                with: d1.loadUnaligned(fromByteOffset: at, as: V.self), where: tailMask)
                            step(a0, a1, image + fullSteps * 32)
                        }
                    }
                    let count = min(5, kw - kx)
                    let row0 = dw + first * taps + ky * kw + kx
                    add(s00, s01, s02, s03, s04, count: count, to: row0)
                    if first + 1 < outC { add(s10, s11, s12, s13, s14, count: count, to: row0 + taps) }
                }
            }
        }
    }

    /// The first `count` sums, each across its lanes, added to target[0..<count].
    @inline(__always)
    private static func add(
        _ s0: SIMD8<Float>, _ s1: SIMD8<Float>, _ s2: SIMD8<Float>, _ s3: SIMD8<Float>, _ s4: SIMD8<Float>,
        count: Int, to target: UnsafeMutablePointer<Float>
    ) {
        target[0] += s0.sum()
        if count > 1 { target[1] += s1.sum() }
        if count > 2 { target[2] += s2.sum() }
        if count > 3 { target[3] += s3.sum() }
        if count > 4 { target[4] += s4.sum() }
    }
}
