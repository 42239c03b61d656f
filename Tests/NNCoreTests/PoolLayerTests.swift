import NNCore
import XCTest

final class PoolLayerTests: XCTestCase {
    func testMaxPoolForwardPicksWindowMaximumAndRoutesGradient() {
        // One 4x4 single-channel image, 2x2 pools: each window's maximum and where it sits.
        let x = Tensor(
            shape: [1, 4, 4, 1],
            scalars: [
                1, 5, 2, 0,
                3, 4, 8, 1,
                0, 0, 7, 7,
                9, 1, 6, 2,
            ])
        let pool = MaxPool2DLayer(pool: IntPair(2, 2), stride: IntPair(2, 2))
        var context = PassContext(training: true)
        let y = pool.forward(x, &context)
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.scalars, [5, 8, 9, 7])
        let dx = pool.backward(Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4]), &context)
        // The tie 7, 7 goes to the first tap, as PyTorch.
        XCTAssertEqual(
            dx.scalars,
            [
                0, 1, 0, 0,
                0, 0, 2, 0,
                0, 0, 4, 0,
                3, 0, 0, 0,
            ])
    }

    func testAvgPoolForward() {
        let x = Tensor(shape: [1, 2, 4, 2], scalars: (0..<16).map(Float.init))
        let pool = AvgPool2DLayer(pool: IntPair(2, 2), stride: IntPair(2, 2))
        var context = PassContext(training: false)
        let y = pool.forward(x, &context)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        // Channel 0 of the left window: (0 + 2 + 8 + 10) / 4.
        XCTAssertEqual(y.scalars, [5, 6, 9, 10])
    }

    /// Distinct, well separated inputs keep the max-pool winners fixed under ±ε.
    private func separatedInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let count = shape.reduce(1, *)
        let order = rng.permutation(count)
        return Tensor(shape: shape, scalars: order.map { Float($0) * 0.1 - Float(count) * 0.05 })
    }

    func testMaxPoolGradientsOverlappingAndRectangular() {
        GradientCheck.check(
            MaxPool2DLayer(pool: IntPair(3, 3), stride: IntPair(2, 2)),
            input: separatedInput([2, 7, 7, 3], seed: 1))
        GradientCheck.check(
            MaxPool2DLayer(pool: IntPair(2, 3), stride: IntPair(2, 1)),
            input: separatedInput([2, 5, 6, 2], seed: 2))
    }

    func testAvgPoolGradientsOverlappingAndRectangular() {
        var rng = SeededGenerator(seed: 3)
        GradientCheck.check(
            AvgPool2DLayer(pool: IntPair(3, 3), stride: IntPair(2, 2)),
            input: GradientCheck.randomTensor([2, 7, 7, 3], &rng))
        GradientCheck.check(
            AvgPool2DLayer(pool: IntPair(2, 3), stride: IntPair(1, 3)),
            input: GradientCheck.randomTensor([2, 5, 7, 2], &rng))
    }

    func testThreadCountDoesNotChangeBits() {
        var rng = SeededGenerator(seed: 4)
        let x = GradientCheck.randomTensor([9, 8, 8, 5], &rng)
        let dy = GradientCheck.randomTensor([9, 3, 3, 5], &rng)
        for make in [
            { MaxPool2DLayer(pool: IntPair(3, 3), stride: IntPair(2, 2)) as Layer },
            { AvgPool2DLayer(pool: IntPair(3, 3), stride: IntPair(2, 2)) as Layer },
        ] {
            var results: [[Float]] = []
            for threads in [1, 2] {
                let layer = make()
                var context = PassContext(training: true, threads: threads)
                let y = layer.forward(x, &context)
                results.append(y.scalars + layer.backward(dy, &context).scalars)
            }
            XCTAssertEqual(results[0], results[1])
        }
    }
}
