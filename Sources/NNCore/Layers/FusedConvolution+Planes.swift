/// The channel-rows layout followed by a max pool: the product comes out as yᵀ `[O, P]`, one
/// plane per output channel, so each plane is pooled where it lies and only the pooled output
/// (a pool's area smaller) is transposed into y `[pH·pW, O]`, instead of transposing the whole
/// convolution output and pooling it after.
///
/// One-channel images with stride 1 get their planes from `DirectConvolution` instead of
/// im2colᵀ and a GEMM (the same bits).
///
/// The bias is added after the maximum: rounding to nearest is monotonic, so
/// max(a) + b = max(a + b) exactly. Ties and order as in `MaxPool2DLayer` (strictly larger taps
/// win, in (ky, kx) order).
extension FusedConvolution {
    static func pooledPlanes(
        _ g: ConvGeometry, pool p: PoolGeometry, relu: Bool, x: UnsafePointer<Float>, weight wp: UnsafePointer<Float>,
        bias b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let pixels = g.outputPixels, outC = g.outputChannels, width = g.outputWidth
        let yt = ConvImageKernel.planes(g, x: x, weight: wp, scratch: scratch)
        let (ph, pw, sh, sw) = (p.pool.height, p.pool.width, p.stride.height, p.stride.width)
        let halves = ph == 2 && pw == 2 && sh == 2 && sw == 2, planesEnd = yt + outC * pixels
        for o in 0..<outC {
            let plane = yt + o * pixels, bias = b[o]
            for oy in 0..<p.outputHeight {
                let top = plane + oy &* sh &* width, out = y + (oy &* p.outputWidth &* outC &+ o)
                var ox = 0
                // 2×2 pools with stride 2 (the common case): eight outputs from two 16-float rows;
                // a last short group too while its reads stay inside the planes (the lanes past
                // the row's end are not stored).
                while halves && ox < p.outputWidth
                    && (ox &+ 8 <= p.outputWidth || top + (width &+ 2 &* ox &+ 16) <= planesEnd)
                {
                    typealias Row = SIMD16<Float>
                    let upper = UnsafeRawPointer(top + 2 &* ox).loadUnaligned(as: Row.self)
                    let lower = UnsafeRawPointer(top + (width &+ 2 &* ox)).loadUnaligned(as: Row.self)
                    var best = upper.evenHalf
                    let (second, third, fourth) = (upper.oddHalf, lower.evenHalf, lower.oddHalf)
                    best.replace(with: second, where: second .> best)
                    best.replace(with: third, where: third .> best)
                    best.replace(with: fourth, where: fourth .> best)
                    best += SIMD8(repeating: bias)
                    if relu { best.replace(with: 0, where: .!(best .> 0)) }
                    for lane in 0..<min(8, p.outputWidth &- ox) { out[(ox &+ lane) &* outC] = best[lane] }
                    ox &+= 8
                }
                while ox < p.outputWidth {
                    let first = top + ox &* sw
                    var best = first[0]
                    for ky in 0..<ph {
                        for kx in 0..<pw where ky > 0 || kx > 0 {
                            let value = first[ky &* width &+ kx]
                            if value > best { best = value }
                        }
                    }
                    let biased = best + bias
                    out[ox &* outC] = relu ? (biased > 0 ? biased : 0) : biased
                    ox &+= 1
                }
            }
        }
    }
}
