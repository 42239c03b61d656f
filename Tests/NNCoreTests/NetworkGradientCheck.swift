import NNCore
import XCTest

/// Central-difference gradient checks through the public layer API: the loss is
/// L = Σ y ⊙ p for a fixed random probe p, so dL/dy = p, and every analytic gradient (each
/// parameter and the network's input) is compared with (L(θ + ε) − L(θ − ε)) / 2ε.
extension GradientCheck {
    /// Forward through every layer in training mode (nothing here draws random numbers).
    static func output(_ network: Network, _ input: Tensor, threads: Int = 1) -> Tensor {
        var context = PassContext(training: true, threads: threads)
        return network.forward(input, &context)
    }

    static func loss(_ network: Network, _ input: Tensor, probe: Tensor) -> Double {
        let y = output(network, input)
        precondition(y.shape == probe.shape)
        var sum = 0.0
        for i in 0..<y.count { sum += Double(y.scalars[i]) * Double(probe.scalars[i]) }
        return sum
    }

    /// Fresh parameter gradients and the input gradient for the probe loss.
    static func analytic(_ network: Network, _ input: Tensor, probe: Tensor, threads: Int = 1) -> Tensor {
        network.zeroGradients()
        network.computesInputGradient = true
        var context = PassContext(training: true, threads: threads)
        _ = network.forward(input, &context)
        return network.backward(probe, &context)!
    }

    static func normalTensor(_ shape: [Int], _ rng: inout SeededGenerator, scale: Float = 1) -> Tensor {
        var tensor = Tensor(zeros: shape)
        for i in 0..<tensor.count { tensor.scalars[i] = scale * rng.normal() }
        return tensor
    }

    /// Checks `samples` entries of every trainable parameter and of the input.
    /// Returns the number of entries compared.
    @discardableResult
    static func check(
        _ spec: ModelSpec, batch: Int, seed: UInt64 = 1, samples: Int = 12, epsilon: Float = 1e-2,
        tolerance: Double = 3e-2, file: StaticString = #filePath, line: UInt = #line
    ) throws -> Int {
        let network = try Network(spec: spec, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        var input = normalTensor([batch] + spec.inputShape, &rng)
        let probe = normalTensor([batch] + (try spec.outputShape()), &rng)
        let inputGradient = analytic(network, input, probe: probe)
        var compared = 0
        func compare(_ analyticValue: Float, _ perturb: (Float) -> Void, _ what: String) {
            perturb(epsilon)
            let plus = loss(network, input, probe: probe)
            perturb(-2 * epsilon)
            let minus = loss(network, input, probe: probe)
            perturb(epsilon)
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let error = abs(numeric - Double(analyticValue))
            let scale = max(abs(numeric), abs(Double(analyticValue)))
            XCTAssertLessThanOrEqual(
                error, tolerance * scale + 2e-3,
                "\(what): analytic \(analyticValue), numeric \(numeric)", file: file, line: line)
            compared += 1
        }
        for (name, parameter) in network.namedParameters where parameter.trainable {
            let gradient = parameter.gradient
            for _ in 0..<min(samples, parameter.value.count) {
                let i = rng.index(below: parameter.value.count)
                compare(gradient.scalars[i], { parameter.value.scalars[i] += $0 }, "\(name)[\(i)]")
            }
        }
        for _ in 0..<samples {
            let i = rng.index(below: input.count)
            compare(inputGradient.scalars[i], { input.scalars[i] += $0 }, "input[\(i)]")
        }
        return compared
    }
}

/// Shared by the RNN and LSTM tests: outputs and every gradient equal for 1 and 2 threads.
extension GradientCheck {
    static func assertThreadInvariant(
        _ spec: ModelSpec, batch: Int, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        var rng = SeededGenerator(seed: 5)
        let input = GradientCheck.normalTensor([batch] + spec.inputShape, &rng)
        let probe = GradientCheck.normalTensor([batch] + (try spec.outputShape()), &rng)
        var results: [[Tensor]] = []
        for threads in [1, 2] {
            let network = try Network(spec: spec, seed: 3)
            let output = GradientCheck.output(network, input, threads: threads)
            let inputGradient = GradientCheck.analytic(network, input, probe: probe, threads: threads)
            results.append([output, inputGradient] + network.trainableParameters.map(\.gradient))
        }
        XCTAssertEqual(results[0], results[1], "1 and 2 threads differ", file: file, line: line)
    }
}
