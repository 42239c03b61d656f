/// One image's stride-1 convolution without an im2col matrix: the image is copied once into a
/// zero-padded buffer, and the micro-kernel (`GemmTile.inPlace`) reads each output pixel's
/// patch from it in place. It serves the forward pass in training and inference, and the input
/// gradient as a convolution of dy (`ConvGeometry(inputGradientOf:)`, `ConvImageKernel`).
///
/// Why it works: in the padded image `[Hp, Wp, C]` (Hp = outH + kh − 1, Wp = outW + kw − 1),
/// the kw·C taps of kernel row ky for output pixel (oy, ox) are one contiguous run starting at
/// ((oy + ky)·Wp + ox)·C, and kernel row ky + 1's run lies Wp·C floats further on. So a pixel's
/// whole patch is kh runs at one address and a fixed pitch, in the (ky, kx, c) order of Wp's
/// columns, and a tile of pixels needs one address per pixel: tiles run across the ends of
/// output rows, and every pixel computed is kept.
///
/// Shape legend: x `[H, W, C]`; Wp `[O, K]` with K = (ky, kx, c) as in `Conv2DLayer`; y
/// `[outH, outW, O]`. Each output is one chain of fused multiply-adds from its bias over the
/// patch in (ky, kx, c) order, whichever kernel set or thread computes it.
final class ImplicitConvolution {
    let geometry: ConvGeometry
    let paddedHeight: Int
    let paddedWidth: Int
    private let columnPanels: Int
    /// Wpᵀ packed in panels of `Gemm.nr` columns over all K depths, then the bias padded to
    /// whole panels.
    private let storage = FloatBuffer()

    /// Any stride-1 convolution in the pixel-rows layout (16 or more filters).
    static func suits(_ g: ConvGeometry, layout: ConvLayout) -> Bool {
        layout == .pixelRows && g.strideHeight == 1 && g.strideWidth == 1
    }

    /// At least 2¹⁹ multiply-adds per image: below that, handing a band of one image's rows to
    /// another thread (`FusedConvolution`) costs more than it saves (measured on LeNet's second
    /// convolution, 240k).
    static func isLarge(_ g: ConvGeometry) -> Bool {
        g.outputPixels * g.patchSize * g.outputChannels >= 1 << 19
    }

    init(geometry g: ConvGeometry) {
        geometry = g
        paddedHeight = g.outputHeight + g.kernelHeight - 1
        paddedWidth = g.outputWidth + g.kernelWidth - 1
        columnPanels = (g.outputChannels + Gemm.nr - 1) / Gemm.nr
    }

    /// Packs Wp `[O, K]` and the bias `[O]` for the `forward`s that follow.
    func prepare(weight wp: UnsafePointer<Float>, bias: UnsafePointer<Float>) {
        let k = geometry.patchSize, outC = geometry.outputChannels, width = columnPanels * Gemm.nr
        // Panels past O are zero-padded by the packing; only the bias's padding is left.
        let out = storage.reserve(width * k + width)
        GemmPacking.packB(.nt, b: wp, n: outC, k: k, columns: 0..<outC, depths: 0..<k, into: out)
        (out + width * k).update(from: bias, count: outC)
        (out + width * k + outC).update(repeating: 0, count: width - outC)
    }

    /// Floats of scratch `forward` needs: the padded image.
    var scratchCount: Int { paddedHeight * paddedWidth * geometry.inputChannels }

    /// y = conv(x) + b for one image.
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        pad(x, scratch: scratch)
        convolve(outputRows: 0..<geometry.outputHeight, y: y, scratch: scratch)
    }

    /// Copies x into the zero-padded image at the start of `scratch`, zeroing only the border.
    func pad(_ x: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.inputChannels, wp = paddedWidth, line = g.inputWidth * c
        let left = g.padLeft * c, right = (wp - g.padLeft - g.inputWidth) * c
        scratch.update(repeating: 0, count: g.padTop * wp * c)
        var row = scratch + g.padTop * wp * c
        for y in 0..<g.inputHeight {
            row.update(repeating: 0, count: left)
            (row + left).update(from: x + y * line, count: line)
            (row + left + line).update(repeating: 0, count: right)
            row += wp * c
        }
        let bottom = paddedHeight - g.padTop - g.inputHeight
        row.update(repeating: 0, count: bottom * wp * c)
    }

    /// y's output rows `outputRows` from the padded image in `scratch`. Ranges that do not
    /// overlap write disjoint parts of y and only read `scratch`, so they may run on different
    /// threads; each output's sums are the same whichever range computes it.
    func convolve(outputRows: Range<Int>, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let g = geometry, c = g.inputChannels, outC = g.outputChannels, width = g.outputWidth, wp = paddedWidth
        let k = g.patchSize, kernels = TileKernels()
        let rowStep = Gemm.mr * kernels.rowPanelsPerTile, step = kernels.panelsPerTile
        let weights = UnsafePointer(storage.pointer), bias = weights + columnPanels * Gemm.nr * k
        let end = outputRows.upperBound * width
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: rowStep) { pixels in
            let pixels = pixels.baseAddress!
            var first = outputRows.lowerBound * width
            // The next pixel's place in the padded image: its output row and column.
            var (oy, ox) = (outputRows.lowerBound, 0)
            while first < end {
                let rows = min(rowStep, end - first)
                for i in 0..<rows {
                    pixels[i] = UnsafePointer(scratch + (oy * wp + ox) * c)
                    ox += 1
                    if ox == width { (oy, ox) = (oy + 1, 0) }
                }
                for panel in stride(from: 0, to: columnPanels, by: step) {
                    let column = panel * Gemm.nr
                    kernels.convolution(
                        pixels: pixels, rows: rows, run: g.kernelWidth * c, segments: g.kernelHeight,
                        pitch: wp * c, b: weights + column * k, panels: min(step, columnPanels - panel),
                        bias: bias + column, c: y + first * outC + column, ldc: outC,
                        cols: min(step * Gemm.nr, outC - column))
                }
                first += rowStep
            }
        }
    }
}
