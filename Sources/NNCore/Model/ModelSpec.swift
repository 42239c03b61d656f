/// A model: a sequence of layers applied to one input of `inputShape` (batch axis left out).
public struct ModelSpec: Equatable, Sendable {
    public var inputShape: [Int]
    public var layers: [LayerSpec]

    public init(inputShape: [Int], layers: [LayerSpec]) {
        self.inputShape = inputShape
        self.layers = layers
    }

    /// One row of the summary: a layer's output shape (no batch axis) and trainable parameters.
    public struct LayerSummary: Codable, Equatable, Sendable {
        public var index: Int
        public var type: String
        public var outputShape: [Int]
        public var params: Int

        enum CodingKeys: String, CodingKey {
            case index, type, params
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
        var shape = inputShape
        var summary: [LayerSummary] = []
        for (index, layer) in layers.enumerated() {
            // Token ids exist only in the model's input: what a layer computes is no token.
            if case .embedding = layer, index > 0 {
                throw SpecError(
                    code: "shape_mismatch", path: "layers[\(index)].type",
                    "an embedding layer reads the model's token ids, so it must be the first layer")
            }
            do {
                let (output, params) = try ShapeInference.infer(
                    layer, input: shape, next: layers.dropFirst(index + 1).first)
                shape = output
                summary.append(LayerSummary(index: index, type: layer.typeName, outputShape: output, params: params))
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
        while !list.isAtEnd {
            let index = layers.count
            do {
                layers.append(try list.decode(LayerSpec.self))
            } catch let error as SpecError {
                throw error.prefixed("layers[\(index)]")
            } catch {
                throw SpecError(
                    code: "invalid_type", path: "layers[\(index)]", "each layer must be an object with a 'type'")
            }
        }
        self.layers = layers
    }

    public func encode(to encoder: Encoder) throws {
        var fields = encoder.container(keyedBy: AnyKey.self)
        try fields.encode(inputShape, forKey: AnyKey("input_shape"))
        try fields.encode(layers, forKey: AnyKey("layers"))
    }
}
