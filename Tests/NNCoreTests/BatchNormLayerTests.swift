import NNCore
import XCTest

final class BatchNormLayerTests: XCTestCase {
    private func layer(_ features: Int, rng: inout SeededGenerator) -> BatchNormLayer {
        let bn = BatchNormLayer(features: features, momentum: 0.9, epsilon: 1e-5)
        bn.weight.value = GradientCheck.randomTensor([features], &rng, scale: 1)
        bn.bias.value = GradientCheck.randomTensor([features], &rng, scale: 1)
        return bn
    }

    func testGradientsInTrainingModeFlatAndImage() {
        var rng = SeededGenerator(seed: 1)
        // Batch statistics tie every sample to every other: the check covers that coupling.
        GradientCheck.check(
            layer(5, rng: &rng), input: GradientCheck.randomTensor([6, 5], &rng, scale: 2),
            epsilon: 1e-2)
        GradientCheck.check(
            layer(3, rng: &rng), input: GradientCheck.randomTensor([2, 3, 4, 3], &rng, scale: 2),
            epsilon: 1e-2)
    }

    func testTrainingNormalisesWithBatchStatisticsAndUpdatesRunningOnes() {
        let bn = BatchNormLayer(features: 2, momentum: 0.9, epsilon: 1e-5)
        let x = Tensor(shape: [4, 2], scalars: [1, 10, 2, 20, 3, 30, 4, 40])
        var context = PassContext(training: true)
        let y = bn.forward(x, &context)
        // Feature 0: mean 2.5, biased variance 1.25; unbiased 5/3.
        XCTAssertEqual(y.scalars[0], (1 - 2.5) / (1.25 + 1e-5).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(bn.runningMean.value.scalars[0], 0.1 * 2.5, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVar.value.scalars[0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean.value.scalars[1], 0.1 * 25, accuracy: 1e-5)
        for j in 0..<2 {
            let column = stride(from: j, to: 8, by: 2).map { y.scalars[$0] }
            XCTAssertEqual(column.reduce(0, +), 0, accuracy: 1e-5)
        }
        XCTAssertFalse(bn.runningMean.trainable)
        XCTAssertEqual(bn.parameters.map(\.name), ["weight", "bias", "running_mean", "running_var"])
    }

    /// 45 features (a block of 32, one of 8 and 5 alone) over 700 rows (two row blocks):
    /// the batch statistics against a double-precision reference.
    func testBatchStatisticsOfManyFeaturesMatchAReference() {
        var rng = SeededGenerator(seed: 3)
        let (rows, f) = (700, 45)
        let x = GradientCheck.randomTensor([rows, f], &rng, scale: 3)
        let bn = BatchNormLayer(features: f, momentum: 0.9, epsilon: 1e-5)
        var context = PassContext(training: true)
        _ = bn.forward(x, &context)
        for j in 0..<f {
            let column = (0..<rows).map { Double(x.scalars[$0 * f + j]) }
            let mean = column.reduce(0, +) / Double(rows)
            let unbiased = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows - 1)
            XCTAssertEqual(Double(bn.runningMean.value.scalars[j]), 0.1 * mean, accuracy: 1e-6, "mean \(j)")
            XCTAssertEqual(
                Double(bn.runningVar.value.scalars[j]), 0.9 + 0.1 * unbiased, accuracy: 1e-5 * unbiased, "variance \(j)"
            )
        }
    }

    func testInferenceUsesRunningStatisticsAndLeavesThem() {
        let bn = BatchNormLayer(features: 2, momentum: 0.9, epsilon: 1e-5)
        bn.runningMean.value = Tensor(shape: [2], scalars: [1, -1])
        bn.runningVar.value = Tensor(shape: [2], scalars: [4, 0.25])
        bn.weight.value = Tensor(shape: [2], scalars: [2, 1])
        bn.bias.value = Tensor(shape: [2], scalars: [0.5, 0])
        var context = PassContext(training: false)
        let y = bn.forward(Tensor(shape: [1, 1, 1, 2], scalars: [3, 0]), &context)
        XCTAssertEqual(y.scalars[0], 2 * (3 - 1) / (4 + 1e-5).squareRoot() + 0.5, accuracy: 1e-5)
        XCTAssertEqual(y.scalars[1], (0 + 1) / (0.25 + 1e-5).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(bn.runningMean.value.scalars, [1, -1])
        XCTAssertEqual(bn.runningVar.value.scalars, [4, 0.25])
    }
}
