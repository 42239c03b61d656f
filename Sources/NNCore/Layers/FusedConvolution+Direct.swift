/// Direct convolution of a one-channel image with stride 1, for the channel-rows layout: the
/// output planes yᵀ `[O, outH·outW]` computed from a zero-padded copy of the image, sixteen
/// output columns at a time, without the colsT matrix `Im2ColTransposed` would write
/// (kh·kw copies of the image) nor the GEMM's packing of it.
///
/// Why the bits equal the GEMM's: the micro-kernel starts each output at zero and adds the
/// products tap by tap in (ky, kx) order with fused multiply-adds; so does this loop. So
/// `pooledPlanes` gives the same outputs whichever way its planes were made.
///
/// Shape legend: x `[H, W, 1]`; the padded image `[Hp, pitch]` with Hp = outH + kh − 1 and
/// pitch = outW rounded up to 16, plus kw − 1; Wp `[O, kh·kw]`.
extension FusedConvolution {
    /// True for geometries the direct path computes: one input channel, stride 1.
    static func suitsDirect(_ g: ConvGeometry) -> Bool {
        g.inputChannels == 1 && g.strideHeight == 1 && g.strideWidth == 1
    }

    /// Floats of scratch before the planes: the padded image.
    static func directPaddedCount(_ g: ConvGeometry) -> Int {
        (g.outputHeight + g.kernelHeight - 1) * directPitch(g)
    }

    private static func directPitch(_ g: ConvGeometry) -> Int {
        (g.outputWidth + 15) / 16 * 16 + g.kernelWidth - 1
    }

    /// yᵀ = Wp · im2colᵀ(x) into `planes` `[O, outH·outW]`, the padded image in `padded`.
    static func directPlanes(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight wp: UnsafePointer<Float>,
        padded: UnsafeMutablePointer<Float>, planes: UnsafeMutablePointer<Float>
    ) {
        typealias Lanes = SIMD16<Float>
        let pitch = directPitch(g), (kh, kw) = (g.kernelHeight, g.kernelWidth), taps = kh * kw
        let (outH, outW, outC) = (g.outputHeight, g.outputWidth, g.outputChannels), pixels = outH * outW
        padded.update(repeating: 0, count: directPaddedCount(g))
        for line in 0..<g.inputHeight {
            (padded + (line + g.padTop) * pitch + g.padLeft).update(from: x + line * g.inputWidth, count: g.inputWidth)
        }
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
}
