import NNCore
import XCTest

/// `Network.predict` runs fused inference (batch norm folded into the convolution, pool and
/// ReLU per image, activations in the dense layer's buffer); `forward` in inference mode runs
/// the layers one by one and is the reference. Folding rounds once where the layers round
/// twice, so the two agree to a tolerance, not bit for bit: every output within 1e-5 of the
/// reference output's largest magnitude (at least 1).
final class FusedInferenceTests: XCTestCase {
    static let tolerance: Float = 1e-5

    /// Conv → batch norm → ReLU → max pool on odd channel counts, sizes and batches, both conv
    /// layouts (fewer and more than 16 filters) and the im2col-free path (kw·C ≥ 64 with 16 or
    /// more filters), under each kernel set the CPU has.
    func testConvBatchNormReluPoolMatchesUnfusedOnOddShapes() throws {
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                for (inputChannels, filters) in [
                    (1, 1), (3, 7), (7, 63), (1, 65), (7, 129), (65, 7), (33, 17), (65, 65),
                ] {
                    for (size, padding) in [((7, 9), LayerSpec.Padding.same), ((9, 7), .valid), ((5, 37), .same)] {
                        let spec = ModelSpec(
                            inputShape: [size.0, size.1, inputChannels],
                            layers: [
                                .conv2d(
                                    filters: filters, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: padding,
                                    activation: .linear),
                                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu),
                                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                                .dense(units: 3, activation: .linear, useBias: true),
                            ])
                        for batch in [1, 7] {
                            try assertFusedMatchesUnfused(
                                spec, batch: batch, threads: 2,
                                "\(isa) c=\(inputChannels) f=\(filters) \(size) \(padding) n=\(batch)")
                        }
                    }
                }
            }
        }
    }

    /// The W4 shape (two conv-bn-relu-pool blocks, dropout, dense; logits, whose scale the
    /// tolerance is relative to, where probabilities would hide it), the LeNet
    /// shape (conv with ReLU, no batch norm; dense with ReLU), a strided conv whose pool ends
    /// the network (ReLU before the pool stays in place), a stride-2 conv with 20 filters and an
    /// overlapping pool (the vector pool after the im2col path), a conv without a pool, and a
    /// dense stack with every activation; batch 1 and 65.
    func testWholeNetworksMatchUnfused() throws {
        let w4 = ModelSpec(
            inputShape: [32, 32, 3],
            layers: [
                .conv2d(filters: 32, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .conv2d(filters: 64, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten, .dropout(rate: 0.5),
                .dense(units: 10, activation: .linear, useBias: true),
            ])
        let lenet = ModelSpec(
            inputShape: [13, 13, 1],
            layers: [
                .conv2d(filters: 6, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .conv2d(filters: 16, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .valid, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                .dense(units: 7, activation: .relu, useBias: true),
                .dense(units: 3, activation: .linear, useBias: false),
            ])
        let strided = ModelSpec(
            inputShape: [11, 11, 2],
            layers: [
                .conv2d(filters: 17, kernel: IntPair(3, 3), stride: IntPair(2, 2), padding: .same, activation: .relu),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.tanh),
                .conv2d(filters: 5, kernel: IntPair(2, 2), stride: IntPair(1, 1), padding: .valid, activation: .relu),
                .maxpool2d(pool: IntPair(3, 3), stride: IntPair(2, 2)),
            ])
        // A stride-2 convolution in pixel rows (no im2col-free path) with an overlapping pool.
        let stridedPooled = ModelSpec(
            inputShape: [13, 11, 5],
            layers: [
                .conv2d(filters: 20, kernel: IntPair(3, 3), stride: IntPair(2, 2), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(3, 3), stride: IntPair(2, 2)), .flatten,
                .dense(units: 3, activation: .linear, useBias: true),
            ])
        let unpooled = ModelSpec(
            inputShape: [12, 16, 33],
            layers: [
                .conv2d(
                    filters: 100, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu), .flatten,
                .dense(units: 3, activation: .linear, useBias: true),
            ])
        let dense = ModelSpec(
            inputShape: [9],
            layers: [
                .dense(units: 65, activation: .tanh, useBias: true), .batchnorm(momentum: 0.9, epsilon: 1e-3),
                .dense(units: 7, activation: .sigmoid, useBias: true),
                .dense(units: 63, activation: .relu, useBias: true),
                .dense(units: 1, activation: .linear, useBias: true),
            ])
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                for (name, spec) in [
                    ("w4", w4), ("lenet", lenet), ("strided", strided), ("strided pooled", stridedPooled),
                    ("unpooled", unpooled), ("dense", dense),
                ] {
                    for batch in [1, 65] {
                        try assertFusedMatchesUnfused(spec, batch: batch, threads: 2, "\(isa) \(name)")
                    }
                }
            }
        }
    }

    /// The im2col-free convolution with the vector pool after it: an overlapping 3×3 pool
    /// with stride 2 with and without ReLU, channel counts on and off the sixteen-lane
    /// blocks, odd widths.
    func testImplicitConvolutionPoolsOverlappingWindows() throws {
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                for (filters, relu) in [(20, false), (32, true), (7, true)] {
                    for width in [9, 12] {
                        var layers: [LayerSpec] = [
                            .conv2d(
                                filters: filters, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same,
                                activation: .linear)
                        ]
                        if relu { layers.append(.activation(.relu)) }
                        layers += [
                            .maxpool2d(pool: IntPair(3, 3), stride: IntPair(2, 2)), .flatten,
                            .dense(units: 3, activation: .linear, useBias: true),
                        ]
                        let spec = ModelSpec(inputShape: [7, width, 24], layers: layers)
                        for batch in [1, 3] {
                            try assertFusedMatchesUnfused(
                                spec, batch: batch, threads: 2, "\(isa) f=\(filters) relu=\(relu) w=\(width) n=\(batch)"
                            )
                        }
                    }
                }
            }
        }
    }

    /// One-channel images with stride 1 (the direct planes path) on odd sizes, kernels and
    /// filter counts (short groups of four, partial blocks of sixteen columns): close to the
    /// unfused layers, and the same bits under every kernel set.
    func testOneChannelConvolutionsMatchUnfusedAndAgreeAcrossKernelSets() throws {
        let shapes: [(Int, Int, Int, Int, LayerSpec.Padding)] = [
            (28, 28, 6, 5, .same), (13, 37, 7, 3, .valid), (9, 5, 1, 4, .same), (20, 17, 15, 5, .same),
        ]
        for (height, width, filters, kernel, padding) in shapes {
            let spec = ModelSpec(
                inputShape: [height, width, 1],
                layers: [
                    .conv2d(
                        filters: filters, kernel: IntPair(kernel, kernel), stride: IntPair(1, 1), padding: padding,
                        activation: .relu),
                    .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                ])
            var outputs: [[Float]] = []
            for isa in KernelISA.supported {
                try withKernelSet(isa) {
                    let what = "\(isa) \(height)×\(width) f=\(filters) k=\(kernel)"
                    for batch in [1, 5] { try assertFusedMatchesUnfused(spec, batch: batch, threads: 2, what) }
                    let network = try randomisedNetwork(spec, seed: 1)
                    outputs.append(
                        network.predict(GradientCheck.randomTensor([3, height, width, 1], seed: 2), loss: nil).scalars)
                }
            }
            for other in outputs.dropFirst() {
                XCTAssertEqual(other, outputs[0], "\(height)×\(width) across kernel sets")
            }
        }
    }

    /// The im2col-free convolution's tiles (one address per pixel, the whole patch in
    /// registers): tiles that run across the ends of output rows, a last tile of 1 to 11
    /// pixels, a single pixel, 1×1 and non-square kernels, filter counts that leave a lone or
    /// partial 16-column panel, and W4's large first layer (split into bands on two threads):
    /// close to the unfused layers, and the same bits under every kernel set.
    func testImplicitConvolutionTilesMatchUnfusedAndAgreeAcrossKernelSets() throws {
        let shapes: [(Int, Int, Int, Int, IntPair, LayerSpec.Padding)] = [
            (5, 37, 24, 20, IntPair(3, 3), .same), (9, 7, 40, 48, IntPair(2, 2), .valid),
            (3, 3, 70, 33, IntPair(1, 1), .valid), (1, 1, 64, 16, IntPair(1, 1), .valid),
            (4, 13, 22, 17, IntPair(5, 3), .same), (32, 32, 3, 32, IntPair(3, 3), .same),
        ]
        for (height, width, channels, filters, kernel, padding) in shapes {
            let spec = ModelSpec(
                inputShape: [height, width, channels],
                layers: [
                    .conv2d(
                        filters: filters, kernel: kernel, stride: IntPair(1, 1), padding: padding, activation: .relu),
                    .flatten,
                ])
            var outputs: [[Float]] = []
            for isa in KernelISA.supported {
                try withKernelSet(isa) {
                    let what = "\(isa) \(height)×\(width)×\(channels) f=\(filters) k=\(kernel)"
                    for batch in [1, 3] { try assertFusedMatchesUnfused(spec, batch: batch, threads: 2, what) }
                    let network = try randomisedNetwork(spec, seed: 1)
                    let input = GradientCheck.randomTensor([2, height, width, channels], seed: 2)
                    outputs.append(network.predict(input, loss: nil).scalars)
                }
            }
            for other in outputs.dropFirst() {
                XCTAssertEqual(other, outputs[0], "\(height)×\(width)×\(channels) across kernel sets")
            }
        }
    }

    /// The classification losses' probabilities: softmax of the logits with the final
    /// activation folded into the loss, as before.
    func testCrossEntropyProbabilitiesMatchUnfused() throws {
        let spec = ModelSpec(
            inputShape: [8, 8, 2],
            layers: [
                .conv2d(filters: 8, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu), .flatten,
                .dense(units: 4, activation: .softmax, useBias: true),
            ])
        let network = try randomisedNetwork(spec, seed: 5)
        let input = GradientCheck.randomTensor([3, 8, 8, 2], seed: 6)
        var context = PassContext(training: false)
        var expected = network.forward(input, &context, skippingFinalActivation: true)
        Activation.forward(.softmax, &expected)
        assertClose(network.predict(input, loss: .crossEntropy).scalars, expected.scalars, "softmax")
    }

    /// A change to a folded parameter (new running statistics, training, loaded weights) is
    /// seen by the next prediction; a returned output is not overwritten by the next one,
    /// whatever its batch size.
    func testPredictionsFollowWeightChangesAndKeepTheirOutputs() throws {
        let spec = ModelSpec(
            inputShape: [6, 6, 1],
            layers: [
                .conv2d(filters: 4, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-3), .activation(.relu), .flatten,
                .dense(units: 2, activation: .linear, useBias: true),
            ])
        let network = try randomisedNetwork(spec, seed: 8)
        let input = GradientCheck.randomTensor([2, 6, 6, 1], seed: 9)
        let first = network.predict(input, loss: nil)
        let kept = first.scalars
        let other = network.predict(GradientCheck.randomTensor([5, 6, 6, 1], seed: 10), loss: nil)
        XCTAssertEqual(other.shape, [5, 2])
        XCTAssertEqual(network.predict(input, loss: nil), first)
        XCTAssertEqual(first.scalars, kept, "a later prediction wrote into an earlier output")
        for (name, parameter) in network.namedParameters where name.hasSuffix("running_mean") {
            parameter.value.scalars[0] += 3
        }
        let changed = network.predict(input, loss: nil)
        XCTAssertNotEqual(changed, first)
        var context = PassContext(training: false)
        assertClose(changed.scalars, network.forward(input, &context).scalars, "after a running-mean change")
        network.namedParameters[0].parameter.value = GradientCheck.randomTensor([4, 1, 3, 3], seed: 11)
        context = PassContext(training: false)
        assertClose(
            network.predict(input, loss: nil).scalars, network.forward(input, &context).scalars, "after new weights")
    }

    // MARK: - Helpers

    /// A network with random weights and batch-norm statistics far from the identity, so a
    /// wrong fold shows.
    private func randomisedNetwork(_ spec: ModelSpec, seed: UInt64) throws -> Network {
        let network = try Network(spec: spec, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        for (name, parameter) in network.namedParameters {
            let shape = parameter.value.shape
            if name.hasSuffix("running_var") {
                parameter.value = Tensor(
                    shape: shape, scalars: (0..<parameter.value.count).map { _ in rng.uniform(0.2, 3) })
            } else if name.hasSuffix("running_mean") || name.hasSuffix("bias") || name.contains("weight") {
                let scale: Float = name.hasSuffix("weight") && shape.count == 1 ? 2 : 0.5
                parameter.value = GradientCheck.randomTensor(shape, &rng, scale: scale)
            }
        }
        return network
    }

    private func assertFusedMatchesUnfused(
        _ spec: ModelSpec, batch: Int, threads: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let network = try randomisedNetwork(spec, seed: UInt64(batch))
        let input = GradientCheck.randomTensor([batch] + spec.inputShape, seed: 3)
        var context = PassContext(training: false, threads: threads)
        let expected = network.forward(input, &context)
        let actual = network.predict(input, loss: nil, threads: threads)
        XCTAssertEqual(actual.shape, expected.shape, what, file: file, line: line)
        assertClose(actual.scalars, expected.scalars, what, file: file, line: line)
        // Again, through the reused buffers, on one thread: the same bits (a batch of one is
        // split into bands of rows on several threads, larger batches into images).
        let single = network.predict(input, loss: nil, threads: 1)
        XCTAssertEqual(single.scalars, actual.scalars, "\(what): one thread and two differ", file: file, line: line)
    }

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let scale = max(1, expected.map(abs).max() ?? 0)
        let worst = worstDifference(actual, expected)
        XCTAssertLessThanOrEqual(worst, Self.tolerance * scale, what, file: file, line: line)
    }
}
