import NNCore
import XCTest

final class LayerGradientTests: XCTestCase {
    func testDenseWithAndWithoutBias() {
        for useBias in [true, false] {
            let weight = GradientCheck.randomTensor([5, 7], seed: 2)
            let layer = DenseLayer(inputSize: 7, outputSize: 5, useBias: useBias, weight: weight)
            if let bias = layer.bias { bias.value = GradientCheck.randomTensor([5], seed: 3) }
            GradientCheck.check(layer, input: GradientCheck.randomTensor([3, 7], seed: 4))
        }
    }

    /// Every activation, including softmax's full Jacobian. Inputs avoid relu's kink at 0.
    func testEveryActivation() {
        var input = GradientCheck.randomTensor([4, 6], seed: 5, scale: 2)
        for i in 0..<input.count where abs(input.scalars[i]) < 0.05 { input.scalars[i] = 0.3 }
        for function in ActivationFunction.allCases {
            GradientCheck.check(ActivationLayer(function), input: input, epsilon: 1e-3)
        }
    }

    func testDropoutBackwardUsesTheForwardMask() {
        let layer = DropoutLayer(rate: 0.4)
        var context = PassContext(training: true, rng: SeededGenerator(seed: 11))
        let input = GradientCheck.randomTensor([8, 16], seed: 6)
        let output = layer.forward(input, &context)
        let gradient = layer.backward(Tensor(repeating: 1, shape: [8, 16]), &context)
        for i in 0..<input.count {
            XCTAssertEqual(output.scalars[i], gradient.scalars[i] * input.scalars[i], accuracy: 1e-6)
            XCTAssert(gradient.scalars[i] == 0 || abs(gradient.scalars[i] - 1 / 0.6) < 1e-6)
        }
        var inference = PassContext(training: false)
        XCTAssertEqual(layer.forward(input, &inference), input)
    }
}
