import NNCore
import XCTest

/// Training runs batch norm → max pool → ReLU as one fused pass. Its outputs must be the three
/// layers' to the bit, its gradients theirs to rounding (the batch norm's sums run in another
/// order), and its bits the same under each kernel set and thread count.
final class BatchNormPoolReluTests: XCTestCase {
    /// 19 channels (two vectors of 8 and a tail of 3); the 2×2 pool leaves the last row and
    /// column of the 7×5 map outside every window; the pool of 3 on a 7×5 map leaves a row. A
    /// 10×6 input gives an 8×4 map that 2×2 windows tile (dx is then written window by window).
    private func spec(pool: Int, input: [Int] = [9, 7, 3]) -> ModelSpec {
        ModelSpec(
            inputShape: input,
            layers: [
                .conv2d(
                    filters: 19, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .valid, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(pool, pool), stride: IntPair(pool, pool)), .flatten,
                .dense(units: 4, activation: .linear, useBias: true),
            ])
    }

    private struct Pass {
        var output: [Float]
        var gradients: [[Float]]
    }

    private func fusedPass(_ network: Network, x: Tensor, dy: Tensor, threads: Int) -> Pass {
        var context = PassContext(training: true, threads: threads)
        network.zeroGradients()
        let y = network.forward(x, &context)
        network.backward(dy, &context)
        return Pass(output: y.scalars, gradients: network.trainableParameters.map(\.gradient.scalars))
    }

    /// The layers one by one, each with its own forward and backward.
    private func layerByLayerPass(_ network: Network, x: Tensor, dy: Tensor) -> Pass {
        var context = PassContext(training: true)
        network.zeroGradients()
        var y = x
        for layer in network.layers { y = layer.forward(y, &context) }
        var gradient = dy
        for layer in network.layers.reversed() { gradient = layer.backward(gradient, &context) }
        return Pass(output: y.scalars, gradients: network.trainableParameters.map(\.gradient.scalars))
    }

    func testFusedPassMatchesTheLayersOneByOne() throws {
        for (pool, input) in [(2, [9, 7, 3]), (3, [9, 7, 3]), (2, [10, 6, 3])] {
            let network = try Network(spec: spec(pool: pool, input: input), seed: 7)
            var rng = SeededGenerator(seed: 8)
            let x = GradientCheck.randomTensor([5] + input, &rng)
            let dy = GradientCheck.randomTensor([5, 4], &rng)
            let fused = fusedPass(network, x: x, dy: dy, threads: 1)
            let reference = layerByLayerPass(network, x: x, dy: dy)
            XCTAssertEqual(fused.output, reference.output, "pool \(pool): outputs")
            XCTAssertEqual(fused.gradients.count, reference.gradients.count)
            // Against the largest gradient: the convolution's bias gradient is the sum of the
            // batch norm's input gradient, which is zero up to rounding.
            let scale = reference.gradients.joined().map(abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0.01, "pool \(pool)")
            for (index, (a, b)) in zip(fused.gradients, reference.gradients).enumerated() {
                XCTAssertLessThanOrEqual(worstDifference(a, b), 1e-5 * scale, "pool \(pool): parameter \(index)")
            }
        }
    }

    func testFusedPassHasTheSameBitsUnderEachSetAndThreadCount() throws {
        try XCTSkipUnless(KernelISA.avx512.isSupported, "this CPU lacks AVX-512: only the AVX2 set runs here")
        for input in [[9, 7, 3], [10, 6, 3]] {
            var rng = SeededGenerator(seed: 9)
            // 40 samples: several row blocks of outputs, and work for both threads.
            let x = GradientCheck.randomTensor([40] + input, &rng)
            let dy = GradientCheck.randomTensor([40, 4], &rng)
            var passes: [Pass] = []
            for (isa, threads) in [(KernelISA.avx2, 1), (.avx512, 1), (.avx512, 2), (.avx2, 2)] {
                try withKernelSet(isa) {
                    let network = try Network(spec: spec(pool: 2, input: input), seed: 7)
                    passes.append(fusedPass(network, x: x, dy: dy, threads: threads))
                }
            }
            for pass in passes.dropFirst() {
                XCTAssertEqual(pass.output.map(\.bitPattern), passes[0].output.map(\.bitPattern), "\(input)")
                XCTAssertEqual(
                    pass.gradients.map { $0.map(\.bitPattern) }, passes[0].gradients.map { $0.map(\.bitPattern) },
                    "\(input)")
            }
        }
    }

    /// Right after a convolution the fused run hands the convolution its gradient image by
    /// image (`ConvNormPoolRelu`); a linear activation in between keeps the two apart. Both
    /// must give the same bits, on one and two threads, tiled or not.
    func testConvolutionTakesTheGradientImageByImageWithTheSameBits() throws {
        for input in [[9, 7, 3], [10, 6, 3]] {
            var rng = SeededGenerator(seed: 10)
            let x = GradientCheck.randomTensor([6] + input, &rng)
            let dy = GradientCheck.randomTensor([6, 4], &rng)
            var separated = spec(pool: 2, input: input)
            separated.layers.insert(.activation(.linear), at: 1)
            for threads in [1, 2] {
                let together = fusedPass(
                    try Network(spec: spec(pool: 2, input: input), seed: 7), x: x, dy: dy, threads: threads)
                let apart = fusedPass(try Network(spec: separated, seed: 7), x: x, dy: dy, threads: threads)
                XCTAssertEqual(together.output.map(\.bitPattern), apart.output.map(\.bitPattern), "\(input)")
                XCTAssertEqual(
                    together.gradients.map { $0.map(\.bitPattern) }, apart.gradients.map { $0.map(\.bitPattern) },
                    "\(input) threads \(threads)")
            }
        }
    }
}
