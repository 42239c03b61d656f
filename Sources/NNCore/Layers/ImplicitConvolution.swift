/// One image's stride-1 convolution without an im2col matrix, for inference: the image is
/// copied once into a zero-padded buffer, and then, per kernel row ky, the GEMM's left operand
/// is read in place from that buffer.
///
/// Why it works: in the padded image `[Hp, Wp, C]` (Hp = outH + kh − 1, Wp = outW + kw − 1),
/// the kw·C taps of kernel row ky for output pixel (oy, ox) are one contiguous run starting at
/// ((oy + ky)·Wp + ox)·C, and the run of the next pixel starts C floats later. So with
/// r = oy·Wp + ox as a "virtual row", A_ky is a row-major matrix with rows C floats apart
/// (rows overlap, which a read-only operand allows), and y = b + Σ_ky A_ky · Wp_kyᵀ over
/// M = (outH − 1)·Wp + outW virtual rows. Rows with ox ≥ outW are computed and dropped; that
/// is kw − 1 of every Wp rows, less than the copy an im2col would make when kw·C is large.
///
/// Shape legend: x `[H, W, C]`; Wp `[O, K]` with K = (ky, kx, c) as in `Conv2DLayer`; y
/// `[outH, outW, O]`. Sums run per kernel row, so the rounding differs from the im2col path
/// (inference only).
final class ImplicitConvolution {
    let geometry: ConvGeometry
    let paddedHeight: Int
    let paddedWidth: Int
    /// Per kernel row: Wp's columns of that row, packed as the GEMM right-hand operand.
    private let tapRows: [PackedMatrix]

    /// Worth it when a kernel row's run is long (the im2col copy it avoids is then large, and
    /// each GEMM still has a deep enough k), or when the layer is large enough that a single
    /// image is worth splitting into bands of rows over threads (`FusedConvolution`), which
    /// only this path can do.
    static func suits(_ g: ConvGeometry, layout: ConvLayout) -> Bool {
        layout == .pixelRows && g.strideHeight == 1 && g.strideWidth == 1
            && (g.kernelWidth * g.inputChannels >= 64 || isLarge(g))
    }

    /// At least 2¹⁹ multiply-adds per image: below that, handing a band to another thread
    /// costs more than it saves (measured on LeNet's second convolution, 240k).
    static func isLarge(_ g: ConvGeometry) -> Bool {
        g.outputPixels * g.patchSize * g.outputChannels >= 1 << 19
    }

    init(geometry g: ConvGeometry, weight wp: [Float]) {
        geometry = g
        paddedHeight = g.outputHeight + g.kernelHeight - 1
        paddedWidth = g.outputWidth + g.kernelWidth - 1
        let run = g.kernelWidth * g.inputChannels, k = g.patchSize, outC = g.outputChannels
        tapRows = (0..<g.kernelHeight).map { ky in
            var part = [Float](repeating: 0, count: outC * run)
            for o in 0..<outC {
                for i in 0..<run { part[o * run + i] = wp[o * k + ky * run + i] }
            }
            let packed = PackedMatrix(n: outC, k: run)
            part.withUnsafeBufferPointer { packed.pack(.nt, b: $0.baseAddress!) }
            return packed
        }
    }

    var virtualRows: Int { (geometry.outputHeight - 1) * paddedWidth + geometry.outputWidth }

    /// Floats of scratch `forward` needs: the padded image and the virtual rows' outputs.
    var scratchCount: Int {
        paddedHeight * paddedWidth * geometry.inputChannels + virtualRows * geometry.outputChannels
    }

    /// y = conv(x) + b for one image.
    func forward(
        x: UnsafePointer<Float>, bias b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        pad(x, scratch: scratch)
        convolve(outputRows: 0..<geometry.outputHeight, bias: b, y: y, scratch: scratch)
    }

    /// Copies x into the zero-padded image at the start of `scratch`.
    func pad(_ x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.inputChannels, wp = paddedWidth
        scratch.update(repeating: 0, count: paddedHeight * wp * c)
        for line in 0..<g.inputHeight {
            (scratch + ((line + g.padTop) * wp + g.padLeft) * c).update(
                from: x + line * g.inputWidth * c, count: g.inputWidth * c)
        }
    }

    /// y's output rows `outputRows` from the padded image in `scratch`. Ranges that do not
    /// overlap touch disjoint parts of `scratch` and y, so they may run on different threads;
    /// each output's sums are the same whichever range computes it (the GEMM's per-element
    /// order does not depend on the rows around it).
    func convolve(
        outputRows: Range<Int>, bias b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard !outputRows.isEmpty else { return }
        let g = geometry, outC = g.outputChannels, wp = paddedWidth
        let rows = computeRows(outputRows, bias: b, scratch: scratch)
        for oy in outputRows {
            (y + oy * g.outputWidth * outC).update(from: rows + oy * wp * outC, count: g.outputWidth * outC)
        }
    }

    /// conv(x) + b for one image as virtual rows (output pixel (oy, ox) at row oy·Wp + ox, `O`
    /// floats each, rows with ox ≥ outW hold garbage), for a pool to read in place instead of
    /// a copy in y's layout.
    func forwardRows(
        x: UnsafePointer<Float>, bias b: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        pad(x, scratch: scratch)
        return UnsafePointer(computeRows(0..<geometry.outputHeight, bias: b, scratch: scratch))
    }

    /// The virtual rows of `outputRows` from the padded image in `scratch`, into the rows'
    /// part of `scratch`; returns where that part starts.
    private func computeRows(
        _ outputRows: Range<Int>, bias b: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) -> UnsafeMutablePointer<Float> {
        let g = geometry, c = g.inputChannels, outC = g.outputChannels, wp = paddedWidth
        let padded = scratch, rows = scratch + paddedHeight * wp * c
        let first = outputRows.lowerBound * wp, m = (outputRows.upperBound - 1) * wp + g.outputWidth - first
        Im2Col.repeatRow(b, rows: m, width: outC, into: rows + first * outC)
        for (ky, part) in tapRows.enumerated() {
            part.multiply(a: padded + (ky * wp + first) * c, m: m, c: rows + first * outC, accumulate: true, lda: c)
        }
        return rows
    }
}
