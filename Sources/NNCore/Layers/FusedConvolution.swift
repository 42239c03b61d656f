/// A convolution for inference with the batch norm after it folded into its weights, and the
/// max pool and ReLU after it run per image while the convolution's output is still in cache,
/// so the batch's activation tensor is written once.
///
/// Folding: inference batch norm computes (conv(x) + b − μ)·s + β per output channel o, with
/// s = γ/√(σ² + ε) from the running statistics; that is conv(x) with every weight of filter o
/// scaled by s[o], plus the bias (b − μ)·s + β. The products then round once where the layers
/// round twice (after the convolution's sum, then after the normalisation), so the outputs
/// differ from the unfused layers in the last bits (about 1e-6 relative). Training never uses
/// this path and stays bit-identical. ReLU and max pool commute exactly (see `Network`), so
/// they run in either order.
///
/// Shape legend: x `[N, H, W, C]`; per image the convolution's output `[outH, outW, O]`, the
/// pooled output `[pH, pW, O]`; Wp `[O, K]` as in `Conv2DLayer`.
final class FusedConvolution {
    let geometry: ConvGeometry
    /// The pool over one image's convolution output, when one follows.
    let pool: PoolGeometry?
    let relu: Bool
    private let kernel: ConvImageKernel
    /// Folded Wp `[O, K]` and bias `[O]`; read-only after init.
    private var weight: [Float]
    private(set) var bias: [Float]

    init(conv: Conv2DLayer, batchNorm: BatchNormLayer?, pool: MaxPool2DLayer?, relu: Bool) {
        let g = conv.geometry, outC = g.outputChannels, k = g.patchSize
        geometry = g
        self.relu = relu
        self.pool = pool.map {
            PoolGeometry(input: [1, g.outputHeight, g.outputWidth, outC], pool: $0.pool, stride: $0.stride)
        }
        var scale = [Float](repeating: 1, count: outC)
        bias = conv.bias.value.scalars
        if let bn = batchNorm {
            precondition(bn.features == outC, "batch norm after conv2d must have one feature per channel")
            let (gamma, beta) = (bn.weight.value.scalars, bn.bias.value.scalars)
            let (mean, variance) = (bn.runningMean.value.scalars, bn.runningVar.value.scalars)
            for o in 0..<outC {
                // The same s as BatchNormLayer's inference forward.
                scale[o] = gamma[o] * (1 / (variance[o] + bn.epsilon).squareRoot())
                bias[o] = (bias[o] - mean[o]) * scale[o] + beta[o]
            }
        }
        var packed = [Float](repeating: 0, count: outC * k)
        conv.weight.value.scalars.withUnsafeBufferPointer { w in
            conv.forEachWeight { p, original in packed[p] = w[original] * scale[p / k] }
        }
        weight = packed
        let kernel = ConvImageKernel(geometry: g, layout: conv.layout)
        let foldedBias = bias
        packed.withUnsafeBufferPointer { w in
            foldedBias.withUnsafeBufferPointer { kernel.prepareForward(weight: w.baseAddress!, bias: $0.baseAddress!) }
        }
        self.kernel = kernel
    }

    /// The im2col-free path, where the geometry suits it (split into bands for a batch of one).
    var implicit: ImplicitConvolution? { kernel.implicit }

    /// Floats of one image's output (after the pool, when there is one).
    var outputSize: Int {
        if let pool { return pool.outputPixels * pool.channels }
        return geometry.outputPixels * geometry.outputChannels
    }

    func outputShape(batch n: Int) -> [Int] {
        if let pool { return [n, pool.outputHeight, pool.outputWidth, pool.channels] }
        return [n, geometry.outputHeight, geometry.outputWidth, geometry.outputChannels]
    }

    /// y = relu(pool(conv(x))) for `n` images, images in parallel.
    func forward(x: UnsafePointer<Float>, batch n: Int, y: UnsafeMutablePointer<Float>, threads: Int) {
        if n == 1 && threads > 1 && splitsImages { return forwardInBands(x: x, y: y, threads: threads) }
        let g = geometry, kernel = kernel, implicit = kernel.implicit, pool = pool, relu = relu
        let outputSize = outputSize, convSize = g.outputPixels * g.outputChannels
        var kernelScratch = implicit?.scratchCount ?? kernel.scratchCount
        if implicit == nil && kernel.layout == .channelRows && DirectConvolution.suits(g) {
            kernelScratch = max(kernelScratch, DirectConvolution.paddedCount(g) + convSize)
        }
        let scratchCount = kernelScratch + (pool == nil ? 0 : convSize)
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                let (w, b) = (w.baseAddress!, b.baseAddress!)
                Parallel.forEach(chunks: n, threads: threads) { image in
                    let xi = x + image * g.inputSize, yi = y + image * outputSize
                    ScratchPool.shared.withBuffer(count: scratchCount) { scratch in
                        guard let pool else {
                            kernel.forward(x: xi, weight: w, bias: b, y: yi, scratch: scratch)
                            if relu { Self.relu(yi, count: outputSize) }
                            return
                        }
                        if kernel.layout == .channelRows {
                            Self.pooledPlanes(
                                g, pool: pool, relu: relu, x: xi, weight: w, bias: b, y: yi, scratch: scratch)
                            return
                        }
                        let convolved = scratch + kernelScratch
                        kernel.forward(x: xi, weight: w, bias: b, y: convolved, scratch: scratch)
                        self.pool(convolved, into: yi)
                    }
                }
            }
        }
    }

    /// The same branch-free ReLU as `Activation`'s, in place.
    @inline(__always)
    static func relu(_ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = y[i] > 0 ? y[i] : 0 }
    }

    /// Max pool (and ReLU, when it follows) of one image's convolution output `[outH, outW, O]`
    /// into y `[pH, pW, O]`, sixteen channels at a time, comparing in `MaxPool2DLayer`'s order
    /// and then applying ReLU as `relu(_:count:)` does, so the bits (NaN included) are those
    /// of the separate passes.
    private func pool(_ rows: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        guard let pool else { return }
        let pitch = geometry.outputWidth
        let c = pool.channels, (ph, pw) = (pool.pool.height, pool.pool.width), relu = relu
        let zero = SIMD16<Float>()
        for oy in 0..<pool.outputHeight {
            for ox in 0..<pool.outputWidth {
                let window = rows + (oy * pool.stride.height * pitch + ox * pool.stride.width) * c
                let out = y + (oy * pool.outputWidth + ox) * c
                var ch = 0
                while ch + 16 <= c {
                    var best = UnsafeRawPointer(window + ch).loadUnaligned(as: SIMD16<Float>.self)
                    for ky in 0..<ph {
                        for kx in 0..<pw where ky > 0 || kx > 0 {
                            let tap = UnsafeRawPointer(window + (ky * pitch + kx) * c + ch)
                            best = Self.maximum(best, tap.loadUnaligned(as: SIMD16<Float>.self))
                        }
                    }
                    if relu { best = zero.replacing(with: best, where: best .> zero) }
                    UnsafeMutableRawPointer(out + ch).storeBytes(of: best, as: SIMD16<Float>.self)
                    ch += 16
                }
                while ch < c {
                    var best = window[ch]
                    for ky in 0..<ph {
                        for kx in 0..<pw where ky > 0 || kx > 0 {
                            let value = window[(ky * pitch + kx) * c + ch]
                            best = value > best ? value : best
                        }
                    }
                    out[ch] = relu ? (best > 0 ? best : 0) : best
                    ch += 1
                }
            }
        }
    }

    /// Lane-wise `b > a ? b : a`, the comparison `MaxPool2DLayer` makes.
    @inline(__always)
    private static func maximum(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: b, where: b .> a)
    }
}
