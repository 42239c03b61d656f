import NNCore
import XCTest

final class AdamOptimizerTests: XCTestCase {
    /// Adam's first step moves each weight by −lr·g/(|g| + ε), whatever the gradient's scale;
    /// several parameters in one step (this once tripped Swift's exclusivity check).
    func testFirstStepMovesByLearningRateTimesSign() {
        let a = Parameter(name: "weight", value: Tensor(shape: [3], scalars: [1, 2, 3]))
        let b = Parameter(name: "bias", value: Tensor(shape: [2], scalars: [0, 0]))
        a.gradient = Tensor(shape: [3], scalars: [0.5, -20, 1e-3])
        b.gradient = Tensor(shape: [2], scalars: [-1, 4])
        let adam = AdamOptimizer(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
        adam.step([a, b], learningRate: 0.1)
        for (actual, expected) in zip(a.value.scalars + b.value.scalars, [Float(0.9), 2.1, 2.9, 0.1, -0.1]) {
            XCTAssertEqual(actual, expected, accuracy: 1e-5)
        }
    }
}
