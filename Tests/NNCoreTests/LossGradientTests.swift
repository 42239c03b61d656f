import NNCore
import XCTest

final class LossGradientTests: XCTestCase {
    private func checkGradient(_ loss: LossFunction, outputs: Tensor, targets: TargetBatch) {
        let analytic = loss.compute(outputs: outputs, targets: targets).gradient
        var x = outputs
        let epsilon: Float = 1e-3
        for i in 0..<x.count {
            let saved = x.scalars[i]
            x.scalars[i] = saved + epsilon
            let plus = loss.compute(outputs: x, targets: targets).loss
            x.scalars[i] = saved - epsilon
            let minus = loss.compute(outputs: x, targets: targets).loss
            x.scalars[i] = saved
            GradientCheck.compare(
                numeric: (plus - minus) / Double(2 * epsilon), analytic: Double(analytic.scalars[i]),
                tolerance: 1e-2, what: "\(loss) [\(i)]", file: #filePath, line: #line)
        }
    }

    func testCrossEntropyGradientAndValue() {
        let logits = GradientCheck.randomTensor([4, 5], seed: 1, scale: 3)
        checkGradient(.crossEntropy, outputs: logits, targets: .classes([0, 4, 2, 2]))
        // Uniform logits over C classes give log C.
        let uniform = LossFunction.crossEntropy.compute(outputs: Tensor(zeros: [2, 4]), targets: .classes([1, 3]))
        XCTAssertEqual(uniform.loss, Double(log(4.0)), accuracy: 1e-6)
        // Huge logits stay finite.
        let extreme = Tensor(shape: [1, 2], scalars: [1000, -1000])
        XCTAssertEqual(
            LossFunction.crossEntropy.compute(outputs: extreme, targets: .classes([1])).loss, 2000, accuracy: 1e-3)
    }

    func testBinaryCrossEntropyGradientAndValue() {
        let logits = GradientCheck.randomTensor([3, 2], seed: 2, scale: 3)
        checkGradient(
            .binaryCrossEntropy, outputs: logits, targets: .values(Tensor(shape: [3, 2], scalars: [0, 1, 1, 0, 1, 1])))
        let zero = LossFunction.binaryCrossEntropy.compute(
            outputs: Tensor(zeros: [1, 1]), targets: .values(Tensor(zeros: [1, 1])))
        XCTAssertEqual(zero.loss, Double(log(2.0)), accuracy: 1e-6)
        let extreme = Tensor(shape: [1, 1], scalars: [-500])
        XCTAssertEqual(
            LossFunction.binaryCrossEntropy.compute(
                outputs: extreme, targets: .values(Tensor(repeating: 1, shape: [1, 1]))
            ).loss,
            500, accuracy: 1e-3)
    }

    func testMeanSquaredErrorGradientAndValue() {
        let outputs = GradientCheck.randomTensor([3, 2], seed: 3)
        let targets = GradientCheck.randomTensor([3, 2], seed: 4)
        checkGradient(.mse, outputs: outputs, targets: .values(targets))
        let value = LossFunction.mse.compute(
            outputs: Tensor(shape: [1, 2], scalars: [1, 3]),
            targets: .values(Tensor(shape: [1, 2], scalars: [0, 1])))
        XCTAssertEqual(value.loss, 2.5, accuracy: 1e-9)
    }

    /// A network ending in softmax trained with cross-entropy: the fused gradient through the
    /// whole network equals finite differences of the loss on the network's probabilities.
    func testFusedSoftmaxThroughNetwork() throws {
        let spec = ModelSpec(
            inputShape: [3],
            layers: [
                .dense(units: 4, activation: .tanh, useBias: true),
                .dense(units: 3, activation: .softmax, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 4)
        let x = GradientCheck.randomTensor([2, 3], seed: 8)
        let targets = TargetBatch.classes([2, 0])
        func loss() -> Double {
            var context = PassContext(training: true)
            let logits = network.forward(x, &context, skippingFinalActivation: true)
            return LossFunction.crossEntropy.compute(outputs: logits, targets: targets).loss
        }
        network.zeroGradients()
        var context = PassContext(training: true)
        let logits = network.forward(x, &context, skippingFinalActivation: true)
        network.backward(
            LossFunction.crossEntropy.compute(outputs: logits, targets: targets).gradient, &context,
            skippingFinalActivation: true)
        for (name, parameter) in network.namedParameters {
            for i in 0..<parameter.value.count {
                let saved = parameter.value.scalars[i]
                parameter.value.scalars[i] = saved + 1e-3
                let plus = loss()
                parameter.value.scalars[i] = saved - 1e-3
                let minus = loss()
                parameter.value.scalars[i] = saved
                GradientCheck.compare(
                    numeric: (plus - minus) / 2e-3, analytic: Double(parameter.gradient.scalars[i]),
                    tolerance: 1e-2, what: "\(name)[\(i)]", file: #filePath, line: #line)
            }
        }
        // predict answers probabilities that sum to one.
        let probabilities = network.predict(x, loss: .crossEntropy)
        XCTAssertEqual(probabilities.scalars[0..<3].reduce(0, +), 1, accuracy: 1e-5)
    }
}
