/// The layers for sequences and tokens: `embedding`, `conv1d`, `maxpool1d`, `avgpool1d` and
/// `global_avgpool`, decoded and encoded as the API guide (docs/API.md) defines them.
extension LayerSpec {
    static let sequenceFieldsByType: [String: Set<String>] = [
        "embedding": ["input_dim", "output_dim"],
        "conv1d": ["filters", "kernel_size", "stride", "padding", "activation"],
        "maxpool1d": ["pool_size", "stride"],
        "avgpool1d": ["pool_size", "stride"],
        "global_avgpool": [],
    ]

    /// The largest vocabulary, embedding width, filter count, kernel, pool or stride a spec may
    /// name; products of them are checked against the parameter limit in `ShapeInference`.
    static let maxSequenceField = 1 << 20

    static func decodeSequenceLayer(
        _ type: String, _ fields: KeyedDecodingContainer<AnyKey>, context: String
    ) throws -> LayerSpec {
        func positive(_ name: String, _ value: Int) throws -> Int {
            guard value >= 1, value <= maxSequenceField else {
                throw SpecError(path: name, "'\(name)' must be between 1 and \(maxSequenceField), got \(value)")
            }
            return value
        }
        func required(_ name: String) throws -> Int {
            try positive(name, try fields.required(Int.self, name, context: context))
        }
        switch type {
        case "embedding":
            return .embedding(inputDim: try required("input_dim"), outputDim: try required("output_dim"))
        case "conv1d":
            let paddingText = try fields.optional(String.self, "padding") ?? "valid"
            guard let padding = Padding(rawValue: paddingText) else {
                throw SpecError(path: "padding", "padding must be 'valid' or 'same', got '\(paddingText)'")
            }
            let activation = try fields.optional(String.self, "activation").map {
                try ActivationFunction.parse($0, path: "activation")
            }
            return .conv1d(
                filters: try required("filters"), kernel: try required("kernel_size"),
                stride: try positive("stride", try fields.optional(Int.self, "stride") ?? 1), padding: padding,
                activation: activation ?? .linear)
        case "maxpool1d", "avgpool1d":
            let pool = try positive("pool_size", try fields.optional(Int.self, "pool_size") ?? 2)
            let stride = try positive("stride", try fields.optional(Int.self, "stride") ?? pool)
            return type == "maxpool1d" ? .maxpool1d(pool: pool, stride: stride) : .avgpool1d(pool: pool, stride: stride)
        default:
            return .globalAvgpool
        }
    }

    func encodeSequenceLayer(into fields: inout KeyedEncodingContainer<AnyKey>) throws {
        switch self {
        case let .embedding(inputDim, outputDim):
            try fields.encode(inputDim, forKey: AnyKey("input_dim"))
            try fields.encode(outputDim, forKey: AnyKey("output_dim"))
        case let .conv1d(filters, kernel, stride, padding, activation):
            try fields.encode(filters, forKey: AnyKey("filters"))
            try fields.encode(kernel, forKey: AnyKey("kernel_size"))
            try fields.encode(stride, forKey: AnyKey("stride"))
            try fields.encode(padding, forKey: AnyKey("padding"))
            try fields.encode(activation, forKey: AnyKey("activation"))
        case let .maxpool1d(pool, stride), let .avgpool1d(pool, stride):
            try fields.encode(pool, forKey: AnyKey("pool_size"))
            try fields.encode(stride, forKey: AnyKey("stride"))
        default:
            break
        }
    }
}
