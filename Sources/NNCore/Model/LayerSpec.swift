/// One layer of a model spec, as the API guide (docs/API.md) defines it. Decoding fills defaults and rejects
/// unknown fields and out-of-range values; shape checks happen in `ModelSpec.validate()`.
public enum LayerSpec: Equatable, Sendable {
    case dense(units: Int, activation: ActivationFunction, useBias: Bool)
    case conv2d(
        filters: Int, kernel: IntPair, stride: IntPair, padding: Padding, activation: ActivationFunction,
        useBias: Bool = true)
    case maxpool2d(pool: IntPair, stride: IntPair)
    case avgpool2d(pool: IntPair, stride: IntPair)
    case flatten
    case dropout(rate: Double)
    case batchnorm(momentum: Double, epsilon: Double)
    case activation(ActivationFunction)
    case rnn(units: Int, activation: ActivationFunction, returnSequences: Bool)
    case lstm(units: Int, returnSequences: Bool)
    case embedding(inputDim: Int, outputDim: Int)
    case conv1d(filters: Int, kernel: Int, stride: Int, padding: Padding, activation: ActivationFunction)
    case maxpool1d(pool: Int, stride: Int)
    case avgpool1d(pool: Int, stride: Int)
    case globalAvgpool
    /// Merges of a graph's branches (`ModelSpec.inputs` names what they read).
    case add
    case concatenate(axis: Int)

    public enum Padding: String, Codable, Sendable {
        case valid, same
    }

    /// The spec's `type` string.
    public var typeName: String {
        switch self {
        case .dense: return "dense"
        case .conv2d: return "conv2d"
        case .maxpool2d: return "maxpool2d"
        case .avgpool2d: return "avgpool2d"
        case .flatten: return "flatten"
        case .dropout: return "dropout"
        case .batchnorm: return "batchnorm"
        case .activation: return "activation"
        case .rnn: return "rnn"
        case .lstm: return "lstm"
        case .embedding: return "embedding"
        case .conv1d: return "conv1d"
        case .maxpool1d: return "maxpool1d"
        case .avgpool1d: return "avgpool1d"
        case .globalAvgpool: return "global_avgpool"
        case .add: return "add"
        case .concatenate: return "concatenate"
        }
    }

    /// The activation applied at the end of this layer, if any.
    public var finalActivation: ActivationFunction? {
        switch self {
        case .dense(_, let activation, _), .conv2d(_, _, _, _, let activation, _), .conv1d(_, _, _, _, let activation):
            return activation
        case .activation(let function): return function
        default: return nil
        }
    }

    static let fieldsByType: [String: Set<String>] = [
        "dense": ["units", "activation", "use_bias"],
        "conv2d": ["filters", "kernel_size", "stride", "padding", "activation", "use_bias"],
        "maxpool2d": ["pool_size", "stride"],
        "avgpool2d": ["pool_size", "stride"],
        "flatten": [],
        "dropout": ["rate"],
        "batchnorm": ["momentum", "epsilon"],
        "activation": ["function"],
        "rnn": ["units", "activation", "return_sequences"],
        "lstm": ["units", "return_sequences"],
        "add": [],
        "concatenate": ["axis"],
    ].merging(sequenceFieldsByType) { first, _ in first }

    /// Fields every layer may carry: its graph wiring, read by `ModelSpec`.
    static let graphFields: Set<String> = ["type", "name", "inputs"]

    /// Whether the layer merges several inputs (every other layer reads exactly one).
    public var isMerge: Bool {
        switch self {
        case .add, .concatenate: return true
        default: return false
        }
    }
}

extension LayerSpec: Codable {
    public init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyKey.self)
        guard let type = try fields.optional(String.self, "type") else {
            throw SpecError(
                code: "missing_field", path: "type",
                "each layer needs a 'type': one of \(Self.fieldsByType.keys.sorted().joined(separator: ", "))")
        }
        guard let allowed = Self.fieldsByType[type] else {
            throw SpecError(
                path: "type",
                "unknown layer type '\(type)'; use one of: \(Self.fieldsByType.keys.sorted().joined(separator: ", "))")
        }
        try fields.rejectUnknownFields(allowed: allowed.union(Self.graphFields), context: "a \(type) layer")
        let context = "a \(type) layer"
        func activation(
            _ name: String = "activation", default value: ActivationFunction = .linear
        ) throws -> ActivationFunction {
            guard let text = try fields.optional(String.self, name) else { return value }
            return try ActivationFunction.parse(text, path: name)
        }
        func positive(_ name: String, _ value: Int) throws -> Int {
            guard value >= 1, value <= 1 << 20 else {
                throw SpecError(path: name, "'\(name)' must be between 1 and \(1 << 20), got \(value)")
            }
            return value
        }
        func positivePair(_ name: String, _ value: IntPair) throws -> IntPair {
            guard value.height >= 1, value.width >= 1, value.height <= 1 << 16, value.width <= 1 << 16 else {
                throw SpecError(path: name, "'\(name)' must be between 1 and \(1 << 16) in both dimensions")
            }
            return value
        }
        switch type {
        case "dense":
            self = .dense(
                units: try positive("units", try fields.required(Int.self, "units", context: context)),
                activation: try activation(),
                useBias: try fields.optional(Bool.self, "use_bias") ?? true)
        case "conv2d":
            let paddingText = try fields.optional(String.self, "padding") ?? "valid"
            guard let padding = Padding(rawValue: paddingText) else {
                throw SpecError(path: "padding", "padding must be 'valid' or 'same', got '\(paddingText)'")
            }
            self = .conv2d(
                filters: try positive("filters", try fields.required(Int.self, "filters", context: context)),
                kernel: try positivePair(
                    "kernel_size", try fields.required(IntPair.self, "kernel_size", context: context)),
                stride: try positivePair("stride", try fields.optional(IntPair.self, "stride") ?? IntPair(1, 1)),
                padding: padding, activation: try activation(),
                useBias: try fields.optional(Bool.self, "use_bias") ?? true)
        case "maxpool2d", "avgpool2d":
            let pool = try positivePair("pool_size", try fields.optional(IntPair.self, "pool_size") ?? IntPair(2, 2))
            let stride = try positivePair("stride", try fields.optional(IntPair.self, "stride") ?? pool)
            self = type == "maxpool2d" ? .maxpool2d(pool: pool, stride: stride) : .avgpool2d(pool: pool, stride: stride)
        case "flatten":
            self = .flatten
        case "dropout":
            let rate = try fields.required(Double.self, "rate", context: context)
            // Checked as the Float the layer computes with too: 0.99999999 is below 1 as a
            // Double but rounds to 1 as a Float, where every unit would be dropped.
            guard rate >= 0, rate < 1, Float(rate) < 1 else {
                throw SpecError(path: "rate", "dropout 'rate' must be in [0, 1), got \(rate)")
            }
            self = .dropout(rate: rate)
        case "batchnorm":
            let momentum = try fields.optional(Double.self, "momentum") ?? 0.9
            let epsilon = try fields.optional(Double.self, "epsilon") ?? 1e-5
            // The layer computes in Float: a value that rounds to 1 (or to 0) there is out of range too.
            guard momentum >= 0, momentum < 1, Float(momentum) < 1 else {
                throw SpecError(path: "momentum", "batchnorm 'momentum' must be in [0, 1), got \(momentum)")
            }
            guard epsilon > 0, epsilon < 1, Float(epsilon) > 0 else {
                throw SpecError(path: "epsilon", "batchnorm 'epsilon' must be in (0, 1), got \(epsilon)")
            }
            self = .batchnorm(momentum: momentum, epsilon: epsilon)
        case "activation":
            guard let name = try fields.optional(String.self, "function") else {
                throw SpecError(code: "missing_field", path: "function", "an activation layer needs a 'function'")
            }
            self = .activation(try ActivationFunction.parse(name, path: "function"))
        case "rnn":
            let function = try activation(default: .tanh)
            guard function == .tanh || function == .relu else {
                throw SpecError(path: "activation", "an rnn layer's activation must be 'tanh' or 'relu'")
            }
            self = .rnn(
                units: try positive("units", try fields.required(Int.self, "units", context: context)),
                activation: function,
                returnSequences: try fields.optional(Bool.self, "return_sequences") ?? false)
        case "lstm":
            self = .lstm(
                units: try positive("units", try fields.required(Int.self, "units", context: context)),
                returnSequences: try fields.optional(Bool.self, "return_sequences") ?? false)
        case "add":
            self = .add
        case "concatenate":
            let axis = try fields.optional(Int.self, "axis") ?? -1
            guard (-3...2).contains(axis) else {
                throw SpecError(path: "axis", "'axis' must be between -3 and 2 (the batch axis left out), got \(axis)")
            }
            self = .concatenate(axis: axis)
        default:
            self = try Self.decodeSequenceLayer(type, fields, context: context)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var fields = encoder.container(keyedBy: AnyKey.self)
        try fields.encode(typeName, forKey: AnyKey("type"))
        switch self {
        case let .dense(units, activation, useBias):
            try fields.encode(units, forKey: AnyKey("units"))
            try fields.encode(activation, forKey: AnyKey("activation"))
            try fields.encode(useBias, forKey: AnyKey("use_bias"))
        case let .conv2d(filters, kernel, stride, padding, activation, useBias):
            // Written only when off, so that specs from before the field read back unchanged.
            if !useBias { try fields.encode(useBias, forKey: AnyKey("use_bias")) }
            try fields.encode(filters, forKey: AnyKey("filters"))
            try fields.encode(kernel, forKey: AnyKey("kernel_size"))
            try fields.encode(stride, forKey: AnyKey("stride"))
            try fields.encode(padding, forKey: AnyKey("padding"))
            try fields.encode(activation, forKey: AnyKey("activation"))
        case let .maxpool2d(pool, stride), let .avgpool2d(pool, stride):
            try fields.encode(pool, forKey: AnyKey("pool_size"))
            try fields.encode(stride, forKey: AnyKey("stride"))
        case .flatten:
            break
        case let .dropout(rate):
            try fields.encode(rate, forKey: AnyKey("rate"))
        case let .batchnorm(momentum, epsilon):
            try fields.encode(momentum, forKey: AnyKey("momentum"))
            try fields.encode(epsilon, forKey: AnyKey("epsilon"))
        case let .activation(function):
            try fields.encode(function, forKey: AnyKey("function"))
        case let .rnn(units, activation, returnSequences):
            try fields.encode(units, forKey: AnyKey("units"))
            try fields.encode(activation, forKey: AnyKey("activation"))
            try fields.encode(returnSequences, forKey: AnyKey("return_sequences"))
        case let .lstm(units, returnSequences):
            try fields.encode(units, forKey: AnyKey("units"))
            try fields.encode(returnSequences, forKey: AnyKey("return_sequences"))
        case .embedding, .conv1d, .maxpool1d, .avgpool1d, .globalAvgpool:
            try encodeSequenceLayer(into: &fields)
        case .add:
            break
        case let .concatenate(axis):
            try fields.encode(axis, forKey: AnyKey("axis"))
        }
    }
}
