/// A model built from a spec: its layers in order, with each spec layer's parameters named
/// `layers.{i}.{param}` as PyTorch's `nn.Sequential` would name them.
///
/// A spec layer may become several internal layers (a dense layer with an activation is a
/// `DenseLayer` followed by an `ActivationLayer`); `specIndex` maps them back.
public final class Network {
    public let spec: ModelSpec
    public let summary: [ModelSpec.LayerSummary]
    public private(set) var layers: [Layer] = []
    public private(set) var specIndex: [Int] = []
    /// The fused layers `predict` runs, rebuilt when a folded parameter changes.
    private var inferencePlan: InferencePlan?
    /// Runs of layers that training passes run as one (`BatchNormPoolRelu`), by first index.
    private var trainingFusions: [Int: Layer] = [:]

    /// Builds and initialises the network; the seed fixes every initial weight.
    public init(spec: ModelSpec, seed: UInt64) throws {
        self.spec = spec
        self.summary = try spec.validate()
        var rng = SeededGenerator(seed: seed)
        var shape = spec.inputShape
        for (index, layerSpec) in spec.layers.enumerated() {
            let built = try LayerFactory.make(
                layerSpec, input: shape, next: spec.layers.dropFirst(index + 1).first,
                rng: &rng)
            for layer in built {
                layers.append(layer)
                specIndex.append(index)
            }
            shape = summary[index].outputShape
        }
        poolBeforeRelu()
        layers.first?.needsInputGradient = false
        for i in layers.indices {
            if let fused = BatchNormPoolRelu(layers[i..<min(layers.count, i + 3)]) { trainingFusions[i] = fused }
        }
    }

    /// Runs each max pool that directly follows a ReLU before it instead. The two commute
    /// exactly: relu(max(a, b)) = max(relu(a), relu(b)), and the gradient reaches the same
    /// input (where the window's maximum is positive it wins in both orders, first of equal
    /// taps; elsewhere the ReLU's derivative is 0 either way). The ReLU then runs on a tensor
    /// a pool-size smaller. Neither layer has parameters, so names do not move; a pool that
    /// ends the network stays last.
    private func poolBeforeRelu() {
        var i = 0
        while i + 2 < layers.count {
            if let relu = layers[i] as? ActivationLayer, relu.function == .relu, layers[i + 1] is MaxPool2DLayer {
                layers.swapAt(i, i + 1)
                specIndex.swapAt(i, i + 1)
                i += 2
            } else {
                i += 1
            }
        }
    }

    /// Every parameter and buffer with its full name, in a fixed order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        zip(layers, specIndex).flatMap { layer, index in
            layer.parameters.map { ("layers.\(index).\(Self.pytorchName($0, of: layer))", $0) }
        }
    }

    /// The parameters an optimizer updates, in a fixed order.
    public var trainableParameters: [Parameter] {
        layers.flatMap { $0.parameters.filter(\.trainable) }
    }

    public var parameterCount: Int { summary.reduce(0) { $0 + $1.params } }

    /// The activation the last layer ends with (linear when it has none).
    public var finalActivation: ActivationFunction {
        (layers.last as? ActivationLayer)?.function ?? .linear
    }

    /// Runs the layers on `input` `[N, …input_shape]`. With `skippingFinalActivation` the last
    /// activation layer is left out (the loss fuses it).
    public func forward(_ input: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool = false) -> Tensor
    {
        var x = input
        let end = skippingFinalActivation && layers.last is ActivationLayer ? layers.count - 1 : layers.count
        for step in steps(end: end) { x = step.forward(x, &context) }
        return x
    }

    /// Back-propagates the gradient of the (possibly pre-activation) output.
    public func backward(_ gradOutput: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool = false) {
        var gradient = gradOutput
        let end = skippingFinalActivation && layers.last is ActivationLayer ? layers.count - 1 : layers.count
        for step in steps(end: end).reversed() { gradient = step.backward(gradient, &context) }
    }

    /// The layers 0..<end as forward and backward run them: each fused run (which runs its
    /// layers one by one itself outside training) in place of its layers.
    private func steps(end: Int) -> [Layer] {
        var steps: [Layer] = [], i = 0
        while i < end {
            if let fused = trainingFusions[i], i + 3 <= end {
                steps.append(fused)
                i += 3
            } else {
                steps.append(layers[i])
                i += 1
            }
        }
        return steps
    }

    public func zeroGradients() {
        for parameter in trainableParameters { parameter.gradient.zero() }
    }

    /// The outputs a user sees: probabilities for the classification losses (softmax for
    /// cross-entropy, sigmoid for binary cross-entropy), raw values otherwise.
    ///
    /// Runs the fused inference layers (`InferencePlan`): the outputs match `forward` in
    /// inference mode to about 1e-6 relative, not bit for bit, since folded batch norms round
    /// differently. Not reentrant: one prediction at a time per network (buffers are reused).
    public func predict(_ input: Tensor, loss: LossFunction?, threads: Int = 1) -> Tensor {
        let fusesFinal = loss.map { $0 != .mse && $0.fuses(finalActivation) } ?? false
        let end = fusesFinal && layers.last is ActivationLayer ? layers.count - 1 : layers.count
        let plan: InferencePlan
        if let current = inferencePlan, current.isCurrent(end: end) {
            plan = current
        } else {
            plan = InferencePlan(layers: layers, end: end)
            inferencePlan = plan
        }
        var outputs = plan.run(input, threads: threads)
        guard let loss, loss != .mse else { return outputs }
        Activation.forward(loss == .crossEntropy ? .softmax : .sigmoid, &outputs, threads: 1)
        return outputs
    }
}
