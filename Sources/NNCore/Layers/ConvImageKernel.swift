/// How `Conv2DLayer` computes one image, in one of two layouts of the im2col matrix.
///
/// Shape legend: P = outH·outW output pixels, K = kh·kw·C taps, O output channels; Wp `[O, K]`
/// is the weight with its taps in (ky, kx, c) order; x `[H, W, C]`, y and dy `[P, O]` per image.
public enum ConvLayout: Sendable {
    /// cols `[P, K]`, y = cols · Wpᵀ: the product's wide side is O, so it suits layers with
    /// 16 or more output channels.
    case pixelRows
    /// colsT `[K, P]`, yᵀ = Wp · colsT, then transposed into y: the wide side is P, so few
    /// output channels waste no vector lanes, and for one input channel colsT is copied in
    /// runs of whole output rows.
    case channelRows

    /// The layout for a geometry: channel rows below 16 output channels (one micro-kernel
    /// tile is 16 wide).
    public static func preferred(for g: ConvGeometry) -> ConvLayout {
        g.outputChannels < Gemm.nr ? .channelRows : .pixelRows
    }
}

/// One image's forward and backward products for a `ConvLayout`. Callers run images in
/// parallel, each with its own scratch buffer of `scratchCount` floats; the weight operands
/// are prepared once per pass and only read afterwards.
final class ConvImageKernel {
    let geometry: ConvGeometry
    let layout: ConvLayout
    /// Wpᵀ `[K, O]` and Wp `[O, K]` as GEMM right-hand operands (pixel rows only; the forward
    /// one where the im2col-free path does not serve).
    private let forwardWeight: PackedMatrix
    private let backwardWeight: PackedMatrix
    /// The forward without im2col, for stride 1 in pixel rows.
    let implicit: ImplicitConvolution?
    /// The input gradient without im2col or col2im, as a convolution of dy
    /// (`ConvGeometry(inputGradientOf:)`), where that one has 16 or more filters (C ≥ 16).
    private let implicitBackward: ImplicitConvolution?
    /// Its weight Wp' `[C, kh·kw·O]` and zero bias.
    private var turned: [Float] = []
    private var noBias: [Float] = []

    init(geometry: ConvGeometry, layout: ConvLayout) {
        self.geometry = geometry
        self.layout = layout
        forwardWeight = PackedMatrix(n: geometry.outputChannels, k: geometry.patchSize)
        backwardWeight = PackedMatrix(n: geometry.patchSize, k: geometry.outputChannels)
        implicit = ImplicitConvolution.suits(geometry, layout: layout) ? ImplicitConvolution(geometry: geometry) : nil
        implicitBackward =
            implicit != nil && ConvLayout.preferred(for: ConvGeometry(inputGradientOf: geometry)) == .pixelRows
            ? ImplicitConvolution(geometry: ConvGeometry(inputGradientOf: geometry)) : nil
        if implicitBackward != nil {
            turned = [Float](repeating: 0, count: geometry.patchSize * geometry.outputChannels)
            noBias = [Float](repeating: 0, count: geometry.inputChannels)
        }
    }

    var scratchCount: Int {
        let g = geometry
        switch layout {
        case .pixelRows:
            return max(
                g.outputPixels * g.patchSize + Im2Col.slack, implicit?.scratchCount ?? 0,
                implicitBackward?.scratchCount ?? 0)
        case .channelRows where DirectConvolution.suits(g):
            // The padded image, dyᵀ (or the planes) and, for dx, dcolsT.
            return DirectConvolution.paddedCount(g) + (g.patchSize + g.outputChannels) * g.outputPixels
                + DirectConvolution.gradientSlack
        case .channelRows: return (g.patchSize + g.outputChannels) * g.outputPixels
        }
    }

    func prepareForward(weight wp: UnsafePointer<Float>, bias b: UnsafePointer<Float>) {
        if let implicit {
            implicit.prepare(weight: wp, bias: b)
        } else if layout == .pixelRows {
            forwardWeight.pack(.nt, b: wp)
        }
    }

    func prepareBackward(weight wp: UnsafePointer<Float>) {
        if let implicitBackward {
            // Wp' [C, (ky', kx', o)] = Wp [o, (kh − 1 − ky', kw − 1 − kx', c)].
            let g = geometry, c = g.inputChannels, outC = g.outputChannels, k = g.patchSize
            let taps = g.kernelHeight * g.kernelWidth
            turned.withUnsafeMutableBufferPointer { turned in
                for o in 0..<outC {
                    for tap in 0..<taps {
                        for channel in 0..<c {
                            turned[channel * taps * outC + (taps - 1 - tap) * outC + o] = wp[o * k + tap * c + channel]
                        }
                    }
                }
            }
            turned.withUnsafeBufferPointer { turned in
                noBias.withUnsafeBufferPointer {
                    implicitBackward.prepare(weight: turned.baseAddress!, bias: $0.baseAddress!)
                }
            }
        } else if layout == .pixelRows {
            backwardWeight.pack(.nn, b: wp)
        }
    }

    /// y = im2col(x) · Wpᵀ + b (without the im2col matrix where `implicit` serves; its sums
    /// start from the bias, the GEMM's from zero).
    func forward(
        x: UnsafePointer<Float>, weight wp: UnsafePointer<Float>, bias b: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, pixels = g.outputPixels, outC = g.outputChannels
        switch layout {
        case .pixelRows:
            if let implicit { return implicit.forward(x: x, y: y, scratch: scratch) }
            Im2Col.gather(g, x: x, cols: scratch)
            Im2Col.repeatRow(b, rows: pixels, width: outC, into: y)
            forwardWeight.multiply(a: scratch, m: pixels, c: y, accumulate: true)
        case .channelRows:
            let yt = Self.planes(g, x: x, weight: wp, scratch: scratch)
            PlaneTranspose.toPixels(yt, bias: b, pixels: pixels, channels: outC, into: y)
        }
    }

    /// The channel-rows product yᵀ = Wp · im2colᵀ(x) `[O, P]` without its bias, in `scratch`;
    /// returns where the planes start.
    static func planes(
        _ g: ConvGeometry, x: UnsafePointer<Float>, weight wp: UnsafePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let pixels = g.outputPixels, k = g.patchSize
        if DirectConvolution.suits(g) {
            let yt = scratch + DirectConvolution.paddedCount(g)
            DirectConvolution.pad(g, x: x, into: scratch)
            DirectConvolution.planes(g, padded: scratch, weight: wp, planes: yt)
            return yt
        }
        let cols = scratch, yt = scratch + k * pixels
        Im2ColTransposed.gather(g, x: x, cols: cols)
        Gemm.multiply(.nn, m: g.outputChannels, n: pixels, k: k, a: wp, b: cols, c: yt, accumulate: false, threads: 1)
        return yt
    }

    /// Whether `backward` adds dWp transposed, `[K, O]` (pixel rows), rather than `[O, K]`.
    var transposesWeightGradient: Bool { layout == .pixelRows }

    /// dWp (or dWpᵀ, see `transposesWeightGradient`) += dyᵀ · im2col(x); db += Σ over pixels
    /// of dy (pixel by pixel, in order); when `dx` is given, dx = col2im(dy · Wp).
    func backward(
        x: UnsafePointer<Float>, weight wp: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let g = geometry, pixels = g.outputPixels, k = g.patchSize, outC = g.outputChannels
        switch layout {
        case .pixelRows:
            Im2Col.addRows(dy, rows: pixels, width: outC, into: db)
            Im2Col.gather(g, x: x, cols: scratch)
            // dWpᵀ += colsᵀ · dy: K rows by O columns tile with less padding than O by K (O is
            // a multiple of 16 and K of 12 more often than not; W4: 288 × 64 exactly, against
            // 64 rows in 72). Each element sums the same products in the same order either way.
            Gemm.multiply(.tn, m: k, n: outC, k: pixels, a: scratch, b: dy, c: dw, accumulate: true, threads: 1)
            guard let dx else { return }
            // The columns are no longer needed: they become the padded dy, or dcols.
            if let implicitBackward { return implicitBackward.forward(x: dy, y: dx, scratch: scratch) }
            backwardWeight.multiply(a: dy, m: pixels, c: scratch, accumulate: false)
            Im2Col.scatter(g, cols: scratch, dx: dx)
        case .channelRows:
            let direct = DirectConvolution.suits(g)
            // Direct: the padded image, dyᵀ (with its slack), then dcolsT. Else colsT, then dyᵀ.
            let dyt = direct ? scratch + DirectConvolution.paddedCount(g) : scratch + k * pixels
            let cols = direct ? dyt + outC * pixels + DirectConvolution.gradientSlack : scratch
            PlaneTranspose.toPlanes(dy, pixels: pixels, channels: outC, into: dyt, biasGradient: db)
            if direct {
                DirectConvolution.pad(g, x: x, into: scratch)
                DirectConvolution.weightGradient(g, padded: scratch, dy: dyt, dw: dw)
            } else {
                Im2ColTransposed.gather(g, x: x, cols: cols)
                // dWp[o, j] += dyt[o, :] · cols[j, :]: O·K dot products along contiguous rows.
                // With O below one 16-wide panel and K small, packing them for the GEMM cost more
                // than the products.
                RowDots.accumulate(a: dyt, rowsA: outC, b: cols, rowsB: k, length: pixels, into: dw)
            }
            guard let dx else { return }
            Gemm.multiply(.tn, m: k, n: pixels, k: outC, a: wp, b: dyt, c: cols, accumulate: false, threads: 1)
            Im2ColTransposed.scatter(g, cols: cols, dx: dx)
        }
    }
}
