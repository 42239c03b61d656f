/// A 2-D convolution over channels-last images: im2col into a reused buffer, then one GEMM
/// for the whole batch.
///
/// Shape legend: x `[N, H, W, C]`, W `[outC, C, kh, kw]` (PyTorch's layout, so weights export
/// as they are), b `[outC]`, cols `[N·outH·outW, K]` with K = kh·kw·C in (ky, kx, c) order,
/// Wp `[outC, K]` (W with its axes permuted to match cols), y `[N, outH, outW, outC]`.
///
/// Forward: y = cols · Wpᵀ + b (`nt`). Backward: dWp = dyᵀ · cols (`tn`), folded back into
/// W's layout; db = Σ dy; dcols = dy · Wp (`nn`), then col2im. `NaiveConvolution` is the
/// reference it is tested against.
public final class Conv2DLayer: Layer {
    public let geometry: ConvGeometry
    public let weight: Parameter
    public let bias: Parameter
    public var needsInputGradient = true
    /// im2col of the last forward input; backward reuses it for dcols.
    private var columns: [Float] = []
    private var packedWeight: [Float]
    private var packedGradient: [Float]
    private var batch = 0

    public init(geometry: ConvGeometry, weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.shape == geometry.weightShape, "conv weight must be \(geometry.weightShape)")
        precondition(bias == nil || bias!.shape == [geometry.outputChannels])
        self.geometry = geometry
        self.weight = Parameter(name: "weight", value: weight)
        self.bias = Parameter(name: "bias", value: bias ?? Tensor(zeros: [geometry.outputChannels]))
        packedWeight = [Float](repeating: 0, count: weight.count)
        packedGradient = packedWeight
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let g = geometry
        precondition(input.rank == 4 && Array(input.shape.dropFirst()) == [g.inputHeight, g.inputWidth, g.inputChannels],
                     "conv2d expects [N, \(g.inputHeight), \(g.inputWidth), \(g.inputChannels)], got \(input.shape)")
        let n = input.batchSize, rows = n * g.outputPixels, k = g.patchSize, outC = g.outputChannels
        batch = n
        if columns.count < rows * k { columns = [Float](repeating: 0, count: rows * k) }
        packWeight()
        var output = Tensor(zeros: [n, g.outputHeight, g.outputWidth, outC])
        input.scalars.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { cols in
                Im2Col.gather(g, batch: n, x: x.baseAddress!, cols: cols.baseAddress!, threads: context.threads)
                packedWeight.withUnsafeBufferPointer { w in
                    bias.value.scalars.withUnsafeBufferPointer { b in
                        output.scalars.withUnsafeMutableBufferPointer { y in
                            for row in 0..<rows { (y.baseAddress! + row * outC).update(from: b.baseAddress!, count: outC) }
                            Gemm.multiply(.nt, m: rows, n: outC, k: k, a: cols.baseAddress!, b: w.baseAddress!,
                                          c: y.baseAddress!, accumulate: true, threads: context.threads)
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let g = geometry
        let n = batch, rows = n * g.outputPixels, k = g.patchSize, outC = g.outputChannels
        precondition(gradOutput.count == rows * outC, "conv2d backward needs the forward batch's gradient")
        var gradInput = Tensor(zeros: needsInputGradient ? [n, g.inputHeight, g.inputWidth, g.inputChannels] : [0])
        gradOutput.scalars.withUnsafeBufferPointer { dy in
            columns.withUnsafeMutableBufferPointer { cols in
                packedGradient.withUnsafeMutableBufferPointer { dw in
                    Gemm.multiply(.tn, m: outC, n: k, k: rows, a: dy.baseAddress!, b: cols.baseAddress!,
                                  c: dw.baseAddress!, accumulate: false, threads: context.threads)
                }
                bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                    // Rows in order, channels across: a fixed summation order for any thread count.
                    for row in 0..<rows {
                        Im2Col.add(dy.baseAddress! + row * outC, into: db.baseAddress!, count: outC)
                    }
                }
                guard needsInputGradient else { return }
                // The columns are no longer needed: they become dcols.
                packedWeight.withUnsafeBufferPointer { w in
                    Gemm.multiply(.nn, m: rows, n: k, k: outC, a: dy.baseAddress!, b: w.baseAddress!,
                                  c: cols.baseAddress!, accumulate: false, threads: context.threads)
                }
                gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                    Im2Col.scatter(g, batch: n, cols: cols.baseAddress!, dx: dx.baseAddress!, threads: context.threads)
                }
            }
        }
        unpackGradient()
        return gradInput
    }

    /// Wp[o, (ky·kw + kx)·C + c] = W[o, c, ky, kx].
    private func packWeight() {
        weight.value.scalars.withUnsafeBufferPointer { w in
            packedWeight.withUnsafeMutableBufferPointer { p in
                forEachWeight { packed, original in p[packed] = w[original] }
            }
        }
    }

    /// W's gradient += dWp, permuted back to PyTorch's layout.
    private func unpackGradient() {
        packedGradient.withUnsafeBufferPointer { p in
            weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                forEachWeight { packed, original in dw[original] += p[packed] }
            }
        }
    }

    @inline(__always)
    private func forEachWeight(_ body: (Int, Int) -> Void) {
        let g = geometry, c = g.inputChannels, k = g.patchSize
        for o in 0..<g.outputChannels {
            for channel in 0..<c {
                for ky in 0..<g.kernelHeight {
                    for kx in 0..<g.kernelWidth {
                        let original = ((o * c + channel) * g.kernelHeight + ky) * g.kernelWidth + kx
                        body(o * k + (ky * g.kernelWidth + kx) * c + channel, original)
                    }
                }
            }
        }
    }
}
