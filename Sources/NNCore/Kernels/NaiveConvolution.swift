/// The reference convolution: direct loops over every output, tap and channel, with the
/// weight in PyTorch's `[outC, C, kh, kw]` layout and channels-last data. The fast path
/// (`Conv2DLayer`: im2col + GEMM) is tested against it on odd shapes.
///
/// Shape legend: x `[N, H, W, C]`, w `[outC, C, kh, kw]`, b `[outC]`, y `[N, outH, outW, outC]`.
public enum NaiveConvolution {
    /// Calls `body(outputIndex, inputIndex, weightIndex)` for every tap inside the image.
    private static func forEachTap(_ g: ConvGeometry, batch: Int, _ body: (Int, Int, Int) -> Void) {
        for n in 0..<batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    for o in 0..<g.outputChannels {
                        let out = ((n * g.outputHeight + oy) * g.outputWidth + ox) * g.outputChannels + o
                        for c in 0..<g.inputChannels {
                            for ky in 0..<g.kernelHeight {
                                let iy = oy * g.strideHeight - g.padTop + ky
                                guard iy >= 0, iy < g.inputHeight else { continue }
                                for kx in 0..<g.kernelWidth {
                                    let ix = ox * g.strideWidth - g.padLeft + kx
                                    guard ix >= 0, ix < g.inputWidth else { continue }
                                    let input = ((n * g.inputHeight + iy) * g.inputWidth + ix) * g.inputChannels + c
                                    let weight = ((o * g.inputChannels + c) * g.kernelHeight + ky) * g.kernelWidth + kx
                                    body(out, input, weight)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static func forward(
        _ g: ConvGeometry, batch: Int, input x: [Float], weight w: [Float],
        bias b: [Float]
    ) -> [Float] {
        precondition(
            x.count == batch * g.inputSize && w.count == g.weightShape.reduce(1, *) && b.count == g.outputChannels)
        var y = [Float](repeating: 0, count: batch * g.outputPixels * g.outputChannels)
        for i in y.indices { y[i] = b[i % g.outputChannels] }
        forEachTap(g, batch: batch) { out, input, weight in y[out] += x[input] * w[weight] }
        return y
    }

    /// Gradients of Σ dy ⊙ y with respect to x, w and b.
    public static func backward(
        _ g: ConvGeometry, batch: Int, input x: [Float], weight w: [Float],
        gradOutput dy: [Float]
    ) -> (input: [Float], weight: [Float], bias: [Float]) {
        var dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: g.outputChannels)
        for i in dy.indices { db[i % g.outputChannels] += dy[i] }
        forEachTap(g, batch: batch) { out, input, weight in
            dx[input] += dy[out] * w[weight]
            dw[weight] += dy[out] * x[input]
        }
        return (dx, dw, db)
    }
}
