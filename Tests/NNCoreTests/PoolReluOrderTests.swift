import NNCore
import XCTest

/// The network runs a max pool that follows a ReLU before it; outputs and gradients must be
/// those of the order the spec gives, to the bit.
final class PoolReluOrderTests: XCTestCase {
    func testPoolBeforeReluGivesTheSpecOrdersBits() throws {
        let spec = ModelSpec(
            inputShape: [7, 6, 2],
            layers: [
                .conv2d(filters: 3, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten,
                .dense(units: 4, activation: .linear, useBias: true),
            ])
        let network = try Network(spec: spec, seed: 3)
        XCTAssertTrue(network.layers[1] is MaxPool2DLayer && network.layers[2] is ActivationLayer)
        // The same layer objects in the spec's order: conv, relu, pool, flatten, dense.
        let specOrder = [network.layers[0], network.layers[2], network.layers[1], network.layers[3], network.layers[4]]

        var rng = SeededGenerator(seed: 4)
        let x = GradientCheck.randomTensor([3, 7, 6, 2], &rng)
        let dy = GradientCheck.randomTensor([3, 4], &rng)

        var context = PassContext(training: true)
        network.zeroGradients()
        let y = network.forward(x, &context)
        network.backward(dy, &context)
        let gradients = network.trainableParameters.map(\.gradient.scalars)

        network.zeroGradients()
        var reference = x
        for layer in specOrder { reference = layer.forward(reference, &context) }
        var gradient = dy
        for layer in specOrder.reversed() { gradient = layer.backward(gradient, &context) }

        XCTAssertEqual(y.scalars, reference.scalars)
        XCTAssertEqual(gradients, network.trainableParameters.map(\.gradient.scalars))
        XCTAssertTrue(gradients[0].contains { $0 != 0 })
    }

    func testAPoolThatEndsTheNetworkStaysLast() throws {
        let spec = ModelSpec(
            inputShape: [4, 4, 1],
            layers: [
                .conv2d(filters: 2, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
            ])
        let network = try Network(spec: spec, seed: 1)
        XCTAssertTrue(network.layers.last is MaxPool2DLayer)
    }
}
