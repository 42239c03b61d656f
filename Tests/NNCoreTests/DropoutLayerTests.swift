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
}
