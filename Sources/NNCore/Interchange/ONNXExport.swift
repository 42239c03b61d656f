/// Writes a network as an ONNX graph that computes what `Network.predict` answers.
///
/// nnserve's data is channels-last (`[N, H, W, C]`) and ONNX's Conv and pools are
/// channels-first, so each of those runs between two Transposes; everything else stays
/// channels-last, which also makes Flatten give the order the dense weights expect.
/// `same` padding is written as explicit `pads` with the odd row or column at the bottom or
/// right (nnserve's and Keras' rule; ONNX's SAME_UPPER agrees but explicit pads say it
/// plainly). Batch norm at inference is the affine map x·scale + shift over the last axis.
/// Recurrent layers run ONNX's RNN and LSTM on time-major data; ONNX orders the LSTM gates
/// i, o, f, c where PyTorch (and nnserve) use i, f, g, o.
public struct ONNXExport {
    private var graph: ONNXGraph
    private var counter = 0
    private let weights: [String: Tensor]
    /// The spec layers' names, which name their weights (`layers.{name}.weight`).
    private let names: [String]

    /// The graph of `network`: input `input` `[batch, …input_shape]`, output `output`;
    /// probabilities for cross-entropy (softmax) and binary cross-entropy (sigmoid), as
    /// predict gives them.
    public static func graph(of network: Network, loss: LossFunction?) throws -> ONNXGraph {
        var export = ONNXExport(network: network)
        let summary = network.summary
        let sources = network.graph.sources
        var outputs: [String] = []
        let fusedFinal = loss.map { $0 != .mse && $0.fuses(network.finalActivation) } ?? false
        for (index, layer) in network.spec.layers.enumerated() {
            let last = index == network.spec.layers.count - 1
            let inputs = sources[index].map { $0 == ModelGraph.modelInput ? "input" : outputs[$0] }
            let shape =
                sources[index][0] == ModelGraph.modelInput
                ? network.spec.inputShape : summary[sources[index][0]].outputShape
            var x = export.layer(layer, index: index, inputs: inputs, shape: shape)
            if let activation = layer.finalActivation, !(last && fusedFinal) {
                x = export.activation(activation, x)
            }
            outputs.append(x)
        }
        var x = outputs[outputs.count - 1]
        let shape = summary[summary.count - 1].outputShape
        if loss == .crossEntropy { x = export.node("Softmax", [x], [.int("axis", -1)]) }
        if loss == .binaryCrossEntropy { x = export.node("Sigmoid", [x]) }
        _ = export.node("Identity", [x], output: "output")
        export.graph.output = ("output", [nil] + shape)
        return export.graph
    }

    private init(network: Network) {
        let file = network.exportWeights()
        weights = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        names = network.graph.names
        graph = ONNXGraph(name: "nnserve", input: ("input", [nil] + network.spec.inputShape), output: ("output", []))
    }

    @discardableResult
    mutating func node(
        _ op: String, _ inputs: [String], _ attributes: [ONNXGraph.Attribute] = [], output: String? = nil,
        outputs extra: Int = 0
    ) -> String {
        counter += 1
        let name = output ?? "t\(counter)"
        let outputs = [name] + (0..<extra).map { "\(name)_\($0 + 1)" }
        graph.nodes.append(ONNXGraph.Node(op: op, inputs: inputs, outputs: outputs, attributes: attributes))
        return name
    }

    mutating func constant(_ name: String, _ dims: [Int], _ values: [Float]) -> String {
        graph.initializers.append(ONNXGraph.Initializer(name: name, dims: dims, floats: values))
        return name
    }

    mutating func integers(_ name: String, _ values: [Int64]) -> String {
        if !graph.initializers.contains(where: { $0.name == name }) {
            graph.initializers.append(ONNXGraph.Initializer(name: name, dims: [values.count], integers: values))
        }
        return name
    }

    func weight(_ index: Int, _ name: String) -> Tensor {
        weights["layers.\(names[index]).\(name)"]!
    }

    mutating func parameter(_ index: Int, _ name: String) -> String {
        let tensor = weight(index, name)
        return constant("layers.\(names[index]).\(name)", tensor.shape, tensor.scalars)
    }

    mutating func activation(_ function: ActivationFunction, _ x: String) -> String {
        switch function {
        case .linear: return x
        case .relu: return node("Relu", [x])
        case .sigmoid: return node("Sigmoid", [x])
        case .tanh: return node("Tanh", [x])
        case .softmax: return node("Softmax", [x], [.int("axis", -1)])
        }
    }

    mutating func channelsFirst(_ x: String, _ body: (inout ONNXExport, String) -> String) -> String {
        let nchw = node("Transpose", [x], [.ints("perm", [0, 3, 1, 2])])
        let y = body(&self, nchw)
        return node("Transpose", [y], [.ints("perm", [0, 2, 3, 1])])
    }

    /// The layer's operators without its trailing activation; `shape` is the first input's.
    /// Every tensor between layers is channels-last, so a concatenation's axis is the spec's
    /// (shifted past the batch axis when counted from the front).
    private mutating func layer(_ layer: LayerSpec, index: Int, inputs: [String], shape: [Int]) -> String {
        let x = inputs[0]
        switch layer {
        case let .dense(_, _, useBias) where shape.count == 2:
            return perStepDense(index: index, input: x, useBias: useBias)
        case .add:
            // ONNX's Add takes two inputs; more are summed left to right.
            return inputs.dropFirst().reduce(x) { sum, next in node("Add", [sum, next]) }
        case let .concatenate(axis):
            return node("Concat", inputs, [.int("axis", axis < 0 ? axis : axis + 1)])
        case let .dense(_, _, useBias):
            let inputs = [x, parameter(index, "weight")] + (useBias ? [parameter(index, "bias")] : [])
            return node("Gemm", inputs, [.int("transB", 1)])
        case let .conv2d(_, kernel, stride, padding, _, useBias):
            let geometry = ConvGeometry(
                height: shape[0], width: shape[1], channels: shape[2], filters: 1, kernel: kernel,
                stride: stride, padding: padding)
            let g = geometry
            let bottom =
                padding == .same
                ? max((g.outputHeight - 1) * g.strideHeight + g.kernelHeight - g.inputHeight, 0) - g.padTop : 0
            let right =
                padding == .same
                ? max((g.outputWidth - 1) * g.strideWidth + g.kernelWidth - g.inputWidth, 0) - g.padLeft : 0
            let pads = [g.padTop, g.padLeft, bottom, right]
            let w = parameter(index, "weight"), b = useBias ? [parameter(index, "bias")] : []
            return channelsFirst(x) { export, nchw in
                export.node(
                    "Conv", [nchw, w] + b,
                    [
                        .ints("kernel_shape", [kernel.height, kernel.width]),
                        .ints("strides", [stride.height, stride.width]), .ints("pads", pads),
                    ])
            }
        case let .maxpool2d(pool, stride), let .avgpool2d(pool, stride):
            let op = layer.typeName == "maxpool2d" ? "MaxPool" : "AveragePool"
            return channelsFirst(x) { export, nchw in
                export.node(
                    op, [nchw],
                    [
                        .ints("kernel_shape", [pool.height, pool.width]),
                        .ints("strides", [stride.height, stride.width]),
                    ]
                )
            }
        case .flatten:
            return node("Flatten", [x], [.int("axis", 1)])
        case .dropout:
            return node("Identity", [x])
        case let .batchnorm(_, epsilon):
            let gamma = weight(index, "weight").scalars, beta = weight(index, "bias").scalars
            let mean = weight(index, "running_mean").scalars, variance = weight(index, "running_var").scalars
            let scale = (0..<gamma.count).map { gamma[$0] / (variance[$0] + Float(epsilon)).squareRoot() }
            let shift = (0..<gamma.count).map { beta[$0] - mean[$0] * scale[$0] }
            let scaled = node("Mul", [x, constant("layers.\(names[index]).scale", [scale.count], scale)])
            return node("Add", [scaled, constant("layers.\(names[index]).shift", [shift.count], shift)])
        case let .rnn(units, activation, returnSequences):
            return recurrent(
                index: index, input: x, units: units, gates: [0],
                attributes: [.strings("activations", [activation == .relu ? "Relu" : "Tanh"])], op: "RNN",
                returnSequences: returnSequences)
        case let .lstm(units, returnSequences):
            return recurrent(
                index: index, input: x, units: units, gates: [0, 3, 1, 2], attributes: [], op: "LSTM",
                returnSequences: returnSequences)
        case .activation:
            return x
        case .embedding, .conv1d, .maxpool1d, .avgpool1d, .globalAvgpool:
            return sequenceLayer(layer, index: index, input: x, shape: shape)
        }
    }

    /// ONNX's W `[1, G·H, F]`, R `[1, G·H, H]`, B `[1, 2·G·H]` (input biases, then recurrent),
    /// the gate blocks taken from PyTorch's tensors in the order `gates`; data `[T, N, F]`,
    /// outputs Y `[T, 1, N, H]` and Y_h `[1, N, H]`.
    private mutating func recurrent(
        index: Int, input x: String, units: Int, gates: [Int], attributes: [ONNXGraph.Attribute], op: String,
        returnSequences: Bool
    ) -> String {
        func reordered(_ name: String) -> Tensor {
            let tensor = weight(index, name + "_l0")
            let block = tensor.count / gates.count
            let scalars = gates.flatMap { tensor.scalars[$0 * block..<($0 + 1) * block] }
            return Tensor(shape: [1] + tensor.shape, scalars: scalars)
        }
        let w = reordered("weight_ih"), r = reordered("weight_hh")
        let b = reordered("bias_ih").scalars + reordered("bias_hh").scalars
        let inputs = [
            constant("layers.\(names[index]).W", w.shape, w.scalars),
            constant("layers.\(names[index]).R", r.shape, r.scalars),
            constant("layers.\(names[index]).B", [1, b.count], b),
        ]
        let timeMajor = node("Transpose", [x], [.ints("perm", [1, 0, 2])])
        let y = node(op, [timeMajor] + inputs, attributes + [.int("hidden_size", units)], outputs: 1)
        if returnSequences {
            let squeezed = node("Squeeze", [y, integers("axis_1", [1])])
            return node("Transpose", [squeezed], [.ints("perm", [1, 0, 2])])
        }
        return node("Squeeze", [y + "_1", integers("axis_0", [0])])
    }
}
