/// A model: layers applied to one input of `inputShape` (batch axis left out). The list is the
/// order of computation; each layer reads the one before it unless `layerInputs` names what it
/// reads (see `ModelGraph`).
public struct ModelSpec: Equatable, Sendable {
    public var inputShape: [Int]
    public var layers: [LayerSpec]
    /// The names given in the spec, by layer index (an unnamed layer is named by its index).
    public var layerNames: [Int: String]
    /// The `inputs` given in the spec, by layer index (a layer without reads the previous one).
    public var layerInputs: [Int: [String]]

    public init(
        inputShape: [Int], layers: [LayerSpec], layerNames: [Int: String] = [:], layerInputs: [Int: [String]] = [:]
    ) {
        self.inputShape = inputShape
        self.layers = layers
        self.layerNames = layerNames
        self.layerInputs = layerInputs
    }

    /// Whether the spec names any layer or its inputs (summaries then show the wiring).
    public var isWired: Bool { !layerNames.isEmpty || !layerInputs.isEmpty }

    /// One row of the summary: a layer's output shape (no batch axis) and trainable parameters.
    public struct LayerSummary: Codable, Equatable, Sendable {
        public var index: Int
        public var type: String
        public var outputShape: [Int]
        public var params: Int
        /// The layer's name and what it reads, shown when the spec names layers or inputs.
        public var name: String?
        public var inputs: [String]?

        public init(
            index: Int, type: String, outputShape: [Int], params: Int, name: String? = nil, inputs: [String]? = nil
        ) {
            self.index = index
            self.type = type
            self.outputShape = outputShape
            self.params = params
            self.name = name
            self.inputs = inputs
        }

        enum CodingKeys: String, CodingKey {
            case index, type, params, name, inputs
            case outputShape = "output_shape"
        }
    }

    /// The largest input the service accepts per sample, so that shape arithmetic cannot
    /// overflow and one spec cannot ask for unbounded memory.
    public static let maxInputElements = 1 << 26

    /// Checks that every layer fits the shape before it and returns the summary.
    /// Errors carry paths such as `layers[2].units`.
    public func validate() throws -> [LayerSummary] {
        guard !inputShape.isEmpty, inputShape.count <= 3 else {
            throw SpecError(
                path: "input_shape",
                "input_shape needs 1 to 3 dimensions ([features], [steps, features] or [height, width, channels]), got \(inputShape.count)"
            )
        }
        for (axis, size) in inputShape.enumerated() where size < 1 || size > Self.maxInputElements {
            throw SpecError(
                path: "input_shape[\(axis)]",
                "every input dimension must be between 1 and \(Self.maxInputElements), got \(size)")
        }
        guard inputShape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) <= Self.maxInputElements
        else {
            throw SpecError(path: "input_shape", "the input has more than \(Self.maxInputElements) values per sample")
        }
        guard !layers.isEmpty else {
            throw SpecError(path: "layers", "a model needs at least one layer")
        }
        let graph = try graph()
        var summary: [LayerSummary] = []
        for (index, layer) in layers.enumerated() {
            // Token ids exist only in the model's input: what a layer computes is no token.
            if case .embedding = layer, graph.sources[index] != [ModelGraph.modelInput] {
                throw SpecError(
                    code: "shape_mismatch", path: "layers[\(index)].type",
                    "an embedding layer reads the model's token ids, so it must read the model's input (be the first layer, or name \"input\" in its inputs)"
                )
            }
            let inputs = graph.sources[index].map { $0 == ModelGraph.modelInput ? inputShape : summary[$0].outputShape }
            do {
                let (output, params) =
                    layer.isMerge
                    ? try ShapeInference.merge(layer, inputs: inputs)
                    : try ShapeInference.infer(
                        layer, input: inputs[0], next: graph.readers[index].first.map { layers[$0] })
                var row = LayerSummary(index: index, type: layer.typeName, outputShape: output, params: params)
                if isWired {
                    row.name = graph.names[index]
                    row.inputs = graph.sources[index].map {
                        $0 == ModelGraph.modelInput ? ModelGraph.inputName : graph.names[$0]
                    }
                }
                summary.append(row)
            } catch let error as SpecError {
                throw error.prefixed("layers[\(index)]")
            }
        }
        return summary
    }

    /// The output shape per sample (batch axis left out).
    public func outputShape() throws -> [Int] {
        try validate().last!.outputShape
    }
}

extension ModelSpec: Codable {
    public init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyKey.self)
        try fields.rejectUnknownFields(allowed: ["input_shape", "layers"], context: "a model spec")
        inputShape = try fields.required([Int].self, "input_shape", context: "a model spec")
        guard fields.contains(AnyKey("layers")) else {
            throw SpecError(
                code: "missing_field", path: "layers", "a model spec needs 'layers', an array of layer objects")
        }
        var list: UnkeyedDecodingContainer
        do {
            list = try fields.nestedUnkeyedContainer(forKey: AnyKey("layers"))
        } catch {
            throw SpecError(code: "invalid_type", path: "layers", "'layers' must be an array of layer objects")
        }
        var layers: [LayerSpec] = []
        var names: [Int: String] = [:], inputs: [Int: [String]] = [:]
        while !list.isAtEnd {
            let index = layers.count
            do {
                // One element read twice: the layer itself, then its wiring fields.
                let element = try list.superDecoder()
                layers.append(try LayerSpec(from: element))
                let wiring = try element.container(keyedBy: AnyKey.self)
                names[index] = try wiring.optional(String.self, "name")
                inputs[index] = try wiring.optional([String].self, "inputs")
            } catch let error as SpecError {
                throw error.prefixed("layers[\(index)]")
            } catch {
                throw SpecError(
                    code: "invalid_type", path: "layers[\(index)]", "each layer must be an object with a 'type'")
            }
        }
        self.layers = layers
        self.layerNames = names
        self.layerInputs = inputs
    }

    public func encode(to encoder: Encoder) throws {
        var fields = encoder.container(keyedBy: AnyKey.self)
        try fields.encode(inputShape, forKey: AnyKey("input_shape"))
        let wired = layers.enumerated().map { index, layer in
            WiredLayer(layer: layer, name: layerNames[index], inputs: layerInputs[index])
        }
        try fields.encode(wired, forKey: AnyKey("layers"))
    }

    /// A layer object with its optional `name` and `inputs` beside the layer's own fields.
    private struct WiredLayer: Encodable {
        var layer: LayerSpec
        var name: String?
        var inputs: [String]?

        func encode(to encoder: Encoder) throws {
            try layer.encode(to: encoder)
            var fields = encoder.container(keyedBy: AnyKey.self)
            if let name { try fields.encode(name, forKey: AnyKey("name")) }
            if let inputs { try fields.encode(inputs, forKey: AnyKey("inputs")) }
        }
    }
}
