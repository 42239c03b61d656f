/// A 2-D convolution over channels-last images: per image, im2col into a cache-sized buffer
/// and one GEMM; images run in parallel.
///
/// Shape legend: x `[N, H, W, C]`, W `[outC, C, kh, kw]` (PyTorch's layout, so weights export
/// as they are), b `[outC]`, cols `[outH·outW, K]` per image with K = kh·kw·C in (ky, kx, c)
/// order, Wp `[outC, K]` (W with its axes permuted to match cols), y `[N, outH, outW, outC]`.
///
/// Forward, per image: y = cols · Wpᵀ + b. Backward, per image: dWp += dyᵀ · cols (cols
/// rebuilt from the kept input, which is cheaper than keeping a batch of them); db += Σ dy;
/// dcols = dy · Wp, then col2im. `ConvImageKernel` does the per-image products in the
/// `ConvLayout` that suits the layer's channel counts. `NaiveConvolution` is the reference it
/// is tested against.
///
/// Determinism: the weight gradient is summed per fixed group of `imagesPerGroup` images
/// into the group's own buffer, then the groups are added in order, so the bits do not depend
/// on how many threads ran the groups.
public final class Conv2DLayer: Layer {
    public let geometry: ConvGeometry
    public let weight: Parameter
    /// Zero and left out of `parameters` when the layer has no bias (`use_bias: false`).
    public let bias: Parameter
    public let useBias: Bool
    public var needsInputGradient = true
    static let imagesPerGroup = 4
    /// The last training input, kept (not copied) for backward.
    private var input = Tensor(zeros: [0])
    private var packedWeight: [Float]
    /// The per-image products, in the layout this geometry prefers (or the one asked for).
    private let kernel: ConvImageKernel
    /// Per group: its dWp `[outC, K]` followed by its db `[outC]`.
    private var groupGradients: [Float] = []

    public var layout: ConvLayout { kernel.layout }

    public init(
        geometry: ConvGeometry, weight: Tensor, bias: Tensor? = nil, useBias: Bool = true, layout: ConvLayout? = nil
    ) {
        // A conv1d's weight `[outC, C, k]` holds the same scalars as `[outC, C, 1, k]`.
        let sequenceShape = Array(geometry.weightShape.prefix(2)) + [geometry.kernelWidth]
        precondition(
            weight.shape == geometry.weightShape || (geometry.kernelHeight == 1 && weight.shape == sequenceShape),
            "conv weight must be \(geometry.weightShape)")
        precondition(bias == nil || bias!.shape == [geometry.outputChannels])
        self.geometry = geometry
        self.weight = Parameter(name: "weight", value: weight)
        self.bias = Parameter(name: "bias", value: bias ?? Tensor(zeros: [geometry.outputChannels]))
        self.useBias = useBias
        packedWeight = [Float](repeating: 0, count: weight.count)
        kernel = ConvImageKernel(geometry: geometry, layout: layout ?? ConvLayout.preferred(for: geometry))
    }

    public var parameters: [Parameter] { useBias ? [weight, bias] : [weight] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let g = geometry
        precondition(
            input.rank == 4 && Array(input.shape.dropFirst()) == [g.inputHeight, g.inputWidth, g.inputChannels],
            "conv2d expects [N, \(g.inputHeight), \(g.inputWidth), \(g.inputChannels)], got \(input.shape)")
        let n = input.batchSize, pixels = g.outputPixels, outC = g.outputChannels
        if context.training { self.input = input }
        packWeight()
        let kernel = kernel
        var output = Tensor(uninitialized: [n, g.outputHeight, g.outputWidth, outC])
        input.scalars.withUnsafeBufferPointer { x in
            packedWeight.withUnsafeBufferPointer { w in
                bias.value.scalars.withUnsafeBufferPointer { b in
                    output.scalars.withUnsafeMutableBufferPointer { y in
                        let (x, w, b, y) = (x.baseAddress!, w.baseAddress!, b.baseAddress!, y.baseAddress!)
                        kernel.prepareForward(weight: w, bias: b)
                        Parallel.forEach(chunks: n, threads: context.threads) { image in
                            ScratchPool.shared.withBuffer(count: kernel.scratchCount) { scratch in
                                kernel.forward(
                                    x: x + image * g.inputSize, weight: w, bias: b,
                                    y: y + image * pixels * outC, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let g = geometry, size = g.outputPixels * g.outputChannels
        precondition(gradOutput.count == input.batchSize * size, "conv2d backward needs the forward batch's gradient")
        return gradOutput.scalars.withUnsafeBufferPointer { dy in
            let dy = dy.baseAddress
            return backward(context) { image, _ in UnsafePointer(dy! + image * size) }
        }
    }

    /// Backward with dy made image by image: `gradient(image, buffer)` returns image's dy
    /// `[outH, outW, O]`, written into `buffer` (room for one image's dy, on the calling thread)
    /// or found elsewhere. A layer after this one whose input gradient is cheap to make per
    /// image (`ConvNormPoolRelu`) so hands it over while it is still in cache, and the batch's
    /// gradient tensor is never written.
    func backward(
        _ context: PassContext, gradient: (Int, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>
    ) -> Tensor {
        let g = geometry
        let n = input.batchSize, k = g.patchSize, outC = g.outputChannels, size = g.outputPixels * outC
        guard n > 0 else {
            return Tensor(zeros: needsInputGradient ? [0, g.inputHeight, g.inputWidth, g.inputChannels] : [0])
        }
        let groups = (n + Self.imagesPerGroup - 1) / Self.imagesPerGroup
        let stride = outC * k + outC
        if groupGradients.count < groups * stride { groupGradients = [Float](repeating: 0, count: groups * stride) }
        var gradInput = Tensor(
            uninitialized: needsInputGradient ? [n, g.inputHeight, g.inputWidth, g.inputChannels] : [0])
        let needsInput = needsInputGradient, kernel = kernel
        input.scalars.withUnsafeBufferPointer { x in
            packedWeight.withUnsafeBufferPointer { w in
                groupGradients.withUnsafeMutableBufferPointer { partials in
                    gradInput.scalars.withUnsafeMutableBufferPointer { dx in
                        let (x, w, partials) = (x.baseAddress!, w.baseAddress!, partials.baseAddress!)
                        let dx = needsInput ? dx.baseAddress : nil
                        if needsInput { kernel.prepareBackward(weight: w) }
                        Parallel.forEach(chunks: groups, threads: context.threads) { group in
                            let dw = partials + group * stride, db = dw + outC * k
                            dw.update(repeating: 0, count: stride)
                            let first = group * Self.imagesPerGroup
                            ScratchPool.shared.withBuffer(count: kernel.scratchCount + size) { scratch in
                                for image in first..<min(n, first + Self.imagesPerGroup) {
                                    kernel.backward(
                                        x: x + image * g.inputSize, weight: w,
                                        dy: gradient(image, scratch + kernel.scratchCount),
                                        dw: dw, db: db, dx: dx.map { $0 + image * g.inputSize }, scratch: scratch)
                                }
                            }
                        }
                        // Groups in order: a fixed summation order for any thread count.
                        for group in 1..<max(groups, 1) {
                            Im2Col.add(partials + group * stride, into: partials, count: stride)
                        }
                    }
                }
            }
        }
        unpackGradient()
        return gradInput
    }

    /// Wp = W with its axes permuted to match cols.
    private func packWeight() {
        weight.value.scalars.withUnsafeBufferPointer { w in
            packedWeight.withUnsafeMutableBufferPointer { p in
                forEachWeight { packed, original in p[packed] = w[original] }
            }
        }
    }

    /// W's gradient += dWp (permuted back to PyTorch's layout), b's gradient += db, from the
    /// sum of the groups' buffers.
    private func unpackGradient() {
        let outC = geometry.outputChannels, k = geometry.patchSize, transposed = kernel.transposesWeightGradient
        groupGradients.withUnsafeBufferPointer { p in
            weight.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                if transposed {
                    forEachWeight { packed, original in dw[original] += p[(packed % k) * outC + packed / k] }
                } else {
                    forEachWeight { packed, original in dw[original] += p[packed] }
                }
            }
            guard useBias else { return }
            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                for o in 0..<outC { db[o] += p[outC * k + o] }
            }
        }
    }

    /// Calls `body(packed, original)` for every weight: its offset in Wp[o, (ky·kw + kx)·C + c]
    /// and in W[o, c, ky, kx]. Per filter that is a [C, kh·kw] ↔ [kh·kw, C] transpose.
    @inline(__always)
    func forEachWeight(_ body: (Int, Int) -> Void) {
        let c = geometry.inputChannels, taps = geometry.kernelHeight * geometry.kernelWidth
        for o in 0..<geometry.outputChannels {
            let filter = o * c * taps
            for channel in 0..<c {
                for tap in 0..<taps { body(filter + tap * c + channel, filter + channel * taps + tap) }
            }
        }
    }
}
