/// A model built from a spec: its layers in order, with each spec layer's parameters named
/// `layers.{name}.{param}`; an unnamed layer's name is its index, as PyTorch's
/// `nn.Sequential` names them (`layers.{i}.{param}`).
///
/// A spec layer may become several internal layers (a dense layer with an activation is a
/// `DenseLayer` followed by an `ActivationLayer`); `specIndex` maps them back.
public final class Network {
    public let spec: ModelSpec
    public let summary: [ModelSpec.LayerSummary]
    /// What each spec layer reads and its name.
    public let graph: ModelGraph
    public private(set) var layers: [Layer] = []
    public private(set) var specIndex: [Int] = []
    /// The graph as chains of layers and merges; a plain list is one chain.
    private(set) var segments: [NetworkSegment] = []
    /// The fused layers `predict` runs, rebuilt when a folded parameter changes.
    private var inferencePlan: InferencePlan?
    /// One plan per chain segment of a graph.
    var segmentPlans: [InferencePlan?] = []
    /// Runs of layers that training passes run as one (`BatchNormPoolRelu`, and
    /// `ConvNormPoolRelu` with the convolution before it), by first index, with their length.
    private var trainingFusions: [Int: (Layer, Int)] = [:]

    /// Builds and initialises the network; the seed fixes every initial weight.
    public init(spec: ModelSpec, seed: UInt64) throws {
        self.spec = spec
        self.summary = try spec.validate()
        self.graph = try spec.graph()
        var rng = SeededGenerator(seed: seed)
        var ranges: [Range<Int>] = []
        for (index, layerSpec) in spec.layers.enumerated() {
            let source = graph.sources[index][0]
            let built = try LayerFactory.make(
                layerSpec, input: source == ModelGraph.modelInput ? spec.inputShape : summary[source].outputShape,
                next: graph.readers[index].first.map { spec.layers[$0] }, rng: &rng)
            let start = layers.count
            for layer in built {
                layers.append(layer)
                specIndex.append(index)
            }
            ranges.append(start..<layers.count)
        }
        segments = NetworkSegment.split(spec: spec, graph: graph, ranges: ranges)
        segmentPlans = Array(repeating: nil, count: segments.count)
        for segment in segments {
            guard case .chain(let range) = segment.kind else { continue }
            poolBeforeRelu(in: range)
            if segment.sources == [ModelGraph.modelInput] { layers[range.lowerBound].needsInputGradient = false }
            // Fused runs stay inside a chain: no other layer reads what they keep internal.
            for i in range {
                if let fused = BatchNormPoolRelu(layers[i..<min(range.upperBound, i + 3)]) {
                    trainingFusions[i] = (fused, 3)
                    if i > range.lowerBound, let withConv = ConvNormPoolRelu(layers[i - 1], followedBy: fused) {
                        trainingFusions[i - 1] = (withConv, 4)
                    }
                }
            }
        }
    }

    /// Whether `forward`/`backward` see the model as one chain (a plain list of layers).
    var isChain: Bool {
        guard segments.count == 1, case .chain = segments[0].kind else { return false }
        return true
    }

    /// Runs each max pool that directly follows a ReLU before it instead. The two commute
    /// exactly: relu(max(a, b)) = max(relu(a), relu(b)), and the gradient reaches the same
    /// input (where the window's maximum is positive it wins in both orders, first of equal
    /// taps; elsewhere the ReLU's derivative is 0 either way). The ReLU then runs on a tensor
    /// a pool-size smaller. Neither layer has parameters, so names do not move; a pool that
    /// ends a chain stays last.
    private func poolBeforeRelu(in range: Range<Int>) {
        var i = range.lowerBound
        while i + 2 < range.upperBound {
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
            layer.parameters.map { ("layers.\(graph.names[index]).\(Self.pytorchName($0, of: layer))", $0) }
        }
    }

    /// The parameters an optimizer updates, in a fixed order.
    public var trainableParameters: [Parameter] {
        layers.flatMap { $0.parameters.filter(\.trainable) }
    }

    public var parameterCount: Int { summary.reduce(0) { $0 + $1.params } }

    /// The activation the last layer ends with (linear when it has none, or is a merge).
    public var finalActivation: ActivationFunction {
        guard case .chain = segments.last?.kind else { return .linear }
        return (layers.last as? ActivationLayer)?.function ?? .linear
    }

    /// Runs the layers on `input` `[N, …input_shape]`. With `skippingFinalActivation` the last
    /// activation layer is left out (the loss fuses it).
    public func forward(_ input: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool = false) -> Tensor
    {
        guard isChain else { return graphForward(input, &context, skippingFinalActivation: skippingFinalActivation) }
        var x = input
        let end = skippingFinalActivation && layers.last is ActivationLayer ? layers.count - 1 : layers.count
        for step in steps(end: end) { x = step.forward(x, &context) }
        return x
    }

    /// Back-propagates the gradient of the (possibly pre-activation) output. Returns the
    /// gradient of the input when `computesInputGradient` is set.
    @discardableResult
    public func backward(
        _ gradOutput: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool = false
    )
        -> Tensor?
    {
        guard isChain else {
            return graphBackward(gradOutput, &context, skippingFinalActivation: skippingFinalActivation)
        }
        var gradient = gradOutput
        let end = skippingFinalActivation && layers.last is ActivationLayer ? layers.count - 1 : layers.count
        for step in steps(end: end).reversed() { gradient = step.backward(gradient, &context) }
        return computesInputGradient ? gradient : nil
    }

    /// Whether backward computes the gradient of the network's input (off by default: the
    /// layers reading the input skip it).
    public var computesInputGradient = false {
        didSet {
            for segment in segments where segment.sources.contains(ModelGraph.modelInput) {
                if case .chain(let range) = segment.kind {
                    layers[range.lowerBound].needsInputGradient = computesInputGradient
                }
            }
        }
    }

    /// The layers 0..<end as forward and backward run them: each fused run (which runs its
    /// layers one by one itself outside training) in place of its layers.
    private func steps(end: Int) -> [Layer] {
        var steps: [Layer] = [], i = 0
        while i < end {
            if let (fused, count) = trainingFusions[i], i + count <= end {
                steps.append(fused)
                i += count
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
        guard isChain else {
            var outputs = graphPredict(input, skippingFinalActivation: fusesFinal, threads: threads)
            guard let loss, loss != .mse else { return outputs }
            Activation.forward(loss == .crossEntropy ? .softmax : .sigmoid, &outputs, threads: 1)
            return outputs
        }
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
