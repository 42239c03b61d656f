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

    /// The update runs sixteen elements at a time with the scalar loop for the rest: on 37 and
    /// 16 elements (two vectors and five left, one vector exactly) and over several steps with
    /// weight decay, every bit equals the formula computed one element at a time.
    func testVectorisedUpdateEqualsTheScalarFormulaBitForBit() {
        var rng = SeededGenerator(seed: 21)
        let (beta1, beta2, epsilon, decay, rate): (Float, Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.01, 0.003)
        for count in [37, 16, 3] {
            let parameter = Parameter(
                name: "weight", value: Tensor(shape: [count], scalars: (0..<count).map { _ in rng.normal() }))
            var p = parameter.value.scalars
            var m = [Float](repeating: 0, count: count), v = m
            let adam = AdamOptimizer(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay)
            for step in 1...4 {
                let g = (0..<count).map { _ in rng.normal() * 3 }
                parameter.gradient = Tensor(shape: [count], scalars: g)
                adam.step([parameter], learningRate: rate)
                let correction1 = 1 - Float(Self.power(Double(beta1), step))
                let correction2Root = (1 - Float(Self.power(Double(beta2), step))).squareRoot()
                for i in 0..<count {
                    let d = g[i] + decay * p[i]
                    m[i] = beta1 * m[i] + (1 - beta1) * d
                    v[i] = beta2 * v[i] + (1 - beta2) * d * d
                    p[i] -= rate / correction1 * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
                }
                XCTAssertEqual(parameter.value.scalars, p, "count \(count) step \(step)")
            }
        }
    }

    /// base^exponent by repeated squaring, as the optimizer computes its bias corrections.
    private static func power(_ base: Double, _ exponent: Int) -> Double {
        var (result, base, e) = (1.0, base, exponent)
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
