import NNCore

/// Small sequence data sets for the recurrent training tests. Every set alternates its two
/// classes, so any batch of even size is balanced.
enum RecurrentTasks {
    /// Class 1 when the first feature sums to more than 0 over all steps; `[steps, 2]`,
    /// standard-normal values.
    static func signOfSum(_ count: Int, steps: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var x = Tensor(zeros: [count, steps, 2])
        var labels: [Int32] = []
        var n = 0
        while labels.count < count {
            var sample = [Float](repeating: 0, count: steps * 2)
            for i in sample.indices { sample[i] = rng.normal() }
            let sum = stride(from: 0, to: sample.count, by: 2).reduce(Float(0)) { $0 + sample[$1] }
            // Keep the sample only if its class is the one due next (rejection keeps balance).
            guard (sum > 0 ? 1 : 0) == labels.count % 2 else { continue }
            for i in sample.indices { x.scalars[n * steps * 2 + i] = sample[i] }
            labels.append(Int32(labels.count % 2))
            n += 1
        }
        return Dataset(inputs: x, targets: .classes(labels, count: 2))
    }

    /// `[steps, 1]`: the first step is +signal for class 1 and −signal for class 0; every later
    /// step is standard-normal noise. With signal 0 the same noise and labels carry no
    /// information at all.
    static func firstStep(_ count: Int, steps: Int, signal: Float = 1, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var x = Tensor(zeros: [count, steps, 1])
        var labels: [Int32] = []
        for n in 0..<count {
            let label = Int32(n % 2)
            labels.append(label)
            x.scalars[n * steps] = label == 1 ? signal : -signal
            for t in 1..<steps { x.scalars[n * steps + t] = rng.normal() }
        }
        return Dataset(inputs: x, targets: .classes(labels, count: 2))
    }

    static func adam(_ learningRate: Double, epochs: Int, seed: UInt64 = 0, clip: Double? = nil) -> TrainingConfig {
        TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            batchSize: 32, epochs: epochs, seed: seed, gradientClip: clip)
    }

    /// A recurrent layer of 16 units reading the last step, and a dense head of two logits.
    static func network(_ recurrent: LayerSpec, _ data: Dataset, seed: UInt64 = 0) throws -> Network {
        try Network(
            spec: ModelSpec(
                inputShape: data.sampleShape,
                layers: [recurrent, .dense(units: 2, activation: .linear, useBias: true)]), seed: seed)
    }

    /// Sets the forget-gate block of both LSTM biases (gates i, f, g, o) to `value`.
    static func setForgetBias(_ network: Network, _ value: Float) {
        guard let lstm = network.layers.first as? LSTMLayer else { return }
        for parameter in lstm.parameters where parameter.name.hasPrefix("bias") {
            for j in lstm.units..<(2 * lstm.units) { parameter.value.scalars[j] = value }
        }
    }

    /// ‖∂L/∂x_t‖ over the batch for every step t of the cross-entropy loss on `data`: the
    /// gradient that reaches each step.
    static func stepGradientNorms(_ network: Network, _ data: Dataset) -> [Double] {
        guard case let .classes(classes, _) = data.targets else { return [] }
        var context = PassContext(training: true)
        network.layers.first?.needsInputGradient = true
        var x = data.inputs
        for layer in network.layers { x = layer.forward(x, &context) }
        var gradient = LossFunction.crossEntropy.compute(outputs: x, targets: .classes(classes)).gradient
        for layer in network.layers.reversed() { gradient = layer.backward(gradient, &context) }
        network.layers.first?.needsInputGradient = false
        let steps = data.inputs.shape[1], width = data.inputs.shape[2]
        var squares = [Double](repeating: 0, count: steps)
        for (i, value) in gradient.scalars.enumerated() {
            squares[(i / width) % steps] += Double(value) * Double(value)
        }
        return squares.map { $0.squareRoot() }
    }
}
