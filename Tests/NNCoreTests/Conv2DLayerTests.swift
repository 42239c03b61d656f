import NNCore
import XCTest

final class Conv2DLayerTests: XCTestCase {
    private func layer(
        _ h: Int, _ w: Int, _ c: Int, filters: Int, kernel: IntPair, stride: IntPair = IntPair(1, 1),
        padding: LayerSpec.Padding, layout: ConvLayout? = nil, rng: inout SeededGenerator
    ) -> Conv2DLayer {
        let g = ConvGeometry(
            height: h, width: w, channels: c, filters: filters, kernel: kernel, stride: stride, padding: padding)
        return Conv2DLayer(
            geometry: g, weight: GradientCheck.randomTensor(g.weightShape, &rng, scale: 0.5),
            bias: GradientCheck.randomTensor([filters], &rng), layout: layout)
    }

    func testGeometryOfSamePaddingPutsTheOddRowBottomRight() {
        let g = ConvGeometry(
            height: 7, width: 6, channels: 1, filters: 1, kernel: IntPair(4, 2), stride: IntPair(2, 2), padding: .same)
        XCTAssertEqual([g.outputHeight, g.outputWidth], [4, 3])
        // Rows: (4 − 1)·2 + 4 − 7 = 3 padded, 1 on top; columns: (3 − 1)·2 + 2 − 6 = 0.
        XCTAssertEqual([g.padTop, g.padLeft], [1, 0])
    }

    func testGradientsStrideTwoSeveralChannels() {
        var rng = SeededGenerator(seed: 11)
        let conv = layer(7, 6, 3, filters: 4, kernel: IntPair(3, 3), stride: IntPair(2, 2), padding: .valid, rng: &rng)
        GradientCheck.check(conv, input: GradientCheck.randomTensor([2, 7, 6, 3], &rng))
    }

    /// The checks above run in the channel-rows layout (fewer than 16 filters); this one in
    /// the pixel-rows layout.
    func testGradientsPixelRowsLayout() {
        var rng = SeededGenerator(seed: 14)
        let conv = layer(
            6, 7, 3, filters: 5, kernel: IntPair(3, 2), stride: IntPair(2, 1), padding: .same,
            layout: .pixelRows, rng: &rng)
        XCTAssertEqual(conv.layout, .pixelRows)
        GradientCheck.check(conv, input: GradientCheck.randomTensor([2, 6, 7, 3], &rng))
    }

    func testLayoutFollowsTheFilterCount() {
        let few = ConvGeometry(
            height: 8, width: 8, channels: 1, filters: 6, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .same)
        let many = ConvGeometry(
            height: 8, width: 8, channels: 6, filters: 16, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .same)
        XCTAssertEqual(ConvLayout.preferred(for: few), .channelRows)
        XCTAssertEqual(ConvLayout.preferred(for: many), .pixelRows)
    }

    func testGradientsSamePaddingEvenKernel() {
        var rng = SeededGenerator(seed: 12)
        let conv = layer(5, 6, 2, filters: 3, kernel: IntPair(2, 4), padding: .same, rng: &rng)
        GradientCheck.check(conv, input: GradientCheck.randomTensor([2, 5, 6, 2], &rng))
    }

    func testGradientsRectangularKernelSameStrideTwo() {
        var rng = SeededGenerator(seed: 13)
        let conv = layer(7, 5, 3, filters: 5, kernel: IntPair(3, 2), stride: IntPair(2, 1), padding: .same, rng: &rng)
        GradientCheck.check(conv, input: GradientCheck.randomTensor([3, 7, 5, 3], &rng))
    }

    /// im2col + GEMM (or the im2col-free paths) equals the direct loops on odd sizes, forward and
    /// backward, under each kernel set the CPU has, and one and two threads give the same bits.
    func testFastMatchesNaiveOnOddShapes() throws {
        for isa in KernelISA.supported { try withKernelSet(isa) { fastMatchesNaive() } }
    }

    private func fastMatchesNaive() {
        var rng = SeededGenerator(seed: 5)
        let cases: [(h: Int, w: Int, c: Int, f: Int, k: IntPair, s: IntPair, p: LayerSpec.Padding)] = [
            (1, 1, 1, 1, IntPair(1, 1), IntPair(1, 1), .valid),
            (7, 9, 3, 5, IntPair(3, 3), IntPair(1, 1), .same),
            (9, 7, 7, 9, IntPair(5, 3), IntPair(2, 3), .same),
            (9, 9, 1, 7, IntPair(4, 4), IntPair(2, 2), .same),
            (7, 7, 5, 1, IntPair(7, 7), IntPair(1, 1), .valid),
            (9, 7, 3, 17, IntPair(2, 5), IntPair(3, 2), .valid),
            (1, 9, 7, 3, IntPair(1, 3), IntPair(1, 1), .same),
            // 37 filters: the bias gradient sums a block of 32 columns, one of 8 and 5 single ones.
            (6, 5, 2, 37, IntPair(3, 3), IntPair(1, 1), .same),
            // One channel, stride 1: the channel-rows layout convolves directly
            // (`DirectConvolution`): output rows of 19, 16 and 9 columns (a partial last step,
            // none, and one short step), kernel rows of 5, 2 and 7 taps (one group of five, a
            // short one, five and two).
            (11, 19, 1, 6, IntPair(5, 5), IntPair(1, 1), .same),
            (8, 17, 1, 3, IntPair(3, 2), IntPair(1, 1), .valid),
            (5, 15, 1, 7, IntPair(2, 7), IntPair(1, 1), .valid),
            // 16 or more input channels, stride 1, pixel rows: dx is the convolution of the
            // padded dy with the turned kernel; "same" with an odd and an even kernel (the odd
            // padding row below), "valid" (dy padded all round), a lone pixel.
            (7, 9, 17, 20, IntPair(3, 3), IntPair(1, 1), .same),
            (6, 8, 33, 16, IntPair(2, 2), IntPair(1, 1), .same),
            (8, 7, 16, 5, IntPair(3, 2), IntPair(1, 1), .valid),
            (1, 1, 20, 3, IntPair(1, 1), IntPair(1, 1), .valid),
            // 289 output pixels: the weight gradient's product runs over two depth blocks
            // (256 pixels and 33); 27 taps leave a partial tile of rows.
            (17, 17, 3, 16, IntPair(3, 3), IntPair(1, 1), .same),
        ]
        for (h, w, c, f, k, s, p) in cases {
            for (batch, layout) in [(1, ConvLayout.pixelRows), (7, .pixelRows), (1, .channelRows), (7, .channelRows)] {
                let conv = layer(h, w, c, filters: f, kernel: k, stride: s, padding: p, layout: layout, rng: &rng)
                let g = conv.geometry
                let x = GradientCheck.randomTensor([batch, h, w, c], &rng)
                let expected = NaiveConvolution.forward(
                    g, batch: batch, input: x.scalars, weight: conv.weight.value.scalars,
                    bias: conv.bias.value.scalars)
                let dy = GradientCheck.randomTensor([batch, g.outputHeight, g.outputWidth, f], &rng)
                let reference = NaiveConvolution.backward(
                    g, batch: batch, input: x.scalars,
                    weight: conv.weight.value.scalars, gradOutput: dy.scalars)
                var results: [[Float]] = []
                for threads in [1, 2] {
                    var context = PassContext(training: true, threads: threads)
                    let y = conv.forward(x, &context)
                    conv.weight.gradient.zero()
                    conv.bias.gradient.zero()
                    let dx = conv.backward(dy, &context)
                    let label = "\(h)x\(w)x\(c) f\(f) k\(k) s\(s) \(p) n\(batch) \(layout) threads \(threads)"
                    assertClose(y.scalars, expected, label + " forward")
                    assertClose(dx.scalars, reference.input, label + " dx")
                    assertClose(conv.weight.gradient.scalars, reference.weight, label + " dw")
                    assertClose(conv.bias.gradient.scalars, reference.bias, label + " db")
                    results.append(y.scalars + dx.scalars + conv.weight.gradient.scalars)
                }
                XCTAssertEqual(results[0], results[1])
            }
        }
    }

    func testThreadCountDoesNotChangeBits() {
        var rng = SeededGenerator(seed: 21)
        let conv = layer(16, 16, 8, filters: 32, kernel: IntPair(3, 3), padding: .same, rng: &rng)
        let x = GradientCheck.randomTensor([16, 16, 16, 8], &rng)
        let dy = GradientCheck.randomTensor([16, 16, 16, 32], &rng)
        var results: [[Float]] = []
        for threads in [1, 2] {
            var context = PassContext(training: true, threads: threads)
            conv.weight.gradient.zero()
            conv.bias.gradient.zero()
            let y = conv.forward(x, &context)
            let dx = conv.backward(dy, &context)
            results.append(y.scalars + dx.scalars + conv.weight.gradient.scalars + conv.bias.gradient.scalars)
        }
        XCTAssertEqual(results[0], results[1])
    }

    private func assertClose(
        _ actual: [Float], _ expected: [Float], _ label: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, label, file: file, line: line)
    }
}
