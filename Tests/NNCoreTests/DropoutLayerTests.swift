import NNCore
import XCTest

final class DropoutLayerTests: XCTestCase {
    func testTrainingScalesSurvivorsAndGradientFollowsTheMask() {
        let dropout = DropoutLayer(rate: 0.25)
        let x = Tensor(repeating: 2, shape: [100, 40])
        var context = PassContext(training: true, rng: SeededGenerator(seed: 3))
        let y = dropout.forward(x, &context)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 / 0.75 })
        XCTAssertEqual(Double(kept.count) / 4000, 0.75, accuracy: 0.03)
        let dx = dropout.backward(Tensor(repeating: 1, shape: [100, 40]), &context)
        XCTAssertEqual(dx.scalars, y.scalars.map { $0 / 2 })
    }

    func testSameSeedSameMaskAndInferenceIsIdentity() {
        let x = Tensor(repeating: 1, shape: [8, 16])
        var a = PassContext(training: true, rng: SeededGenerator(seed: 9))
        var b = PassContext(training: true, rng: SeededGenerator(seed: 9))
        XCTAssertEqual(DropoutLayer(rate: 0.5).forward(x, &a), DropoutLayer(rate: 0.5).forward(x, &b))
        var inference = PassContext(training: false)
        XCTAssertEqual(DropoutLayer(rate: 0.5).forward(x, &inference), x)
    }

    /// The vectorised draws against a scalar reference: each block of 16 rows of 1,001 values
    /// (about 16K values, `RowBlocks`) takes value i from the (i mod 8)-th of eight generators
    /// seeded base + 8·firstRow + lane, where base is the pass generator's next draw; a value
    /// survives when that generator's next uniform is at least the rate. 37 rows leave a last
    /// block of 5 rows, whose 5,005 values end in a partial vector.
    func testMaskFollowsEightInterleavedGenerators() {
        for rate: Float in [0.1, 0.5, 0.37] {
            var source = SeededGenerator(seed: 12)
            let x = Tensor(shape: [37, 1001], scalars: (0..<(37 * 1001)).map { _ in source.normal() })
            var context = PassContext(training: true, rng: SeededGenerator(seed: 5))
            let y = DropoutLayer(rate: rate).forward(x, &context)
            var reference = SeededGenerator(seed: 5)
            let base = reference.next()
            let keep = 1 / (1 - rate)
            var expected = [Float](repeating: 0, count: x.count)
            for firstRow in stride(from: 0, to: 37, by: 16) {
                var generators = (0..<8).map { SeededGenerator(seed: base &+ 8 &* UInt64(firstRow) &+ UInt64($0)) }
                let start = firstRow * 1001, end = min(37, firstRow + 16) * 1001
                for i in start..<end {
                    let mask: Float = generators[(i - start) % 8].uniform() >= rate ? keep : 0
                    expected[i] = x.scalars[i] * mask
                }
            }
            XCTAssertEqual(y.scalars.map(\.bitPattern), expected.map(\.bitPattern), "rate \(rate)")
            XCTAssertEqual(context.rng, reference, "one draw from the pass's generator")
        }
    }
}
