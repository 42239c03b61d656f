/// The `optimizer` object of a training request, with PyTorch's semantics and defaults.
public enum OptimizerConfig: Equatable, Sendable {
    /// `torch.optim.SGD`: weight decay adds wd·p to the gradient; momentum keeps
    /// buf = μ·buf + g; Nesterov steps along g + μ·buf.
    case sgd(learningRate: Double, momentum: Double, nesterov: Bool, weightDecay: Double)
    /// `torch.optim.Adam` (L2 weight decay added to the gradient, bias-corrected moments).
    case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double)

    public var learningRate: Double {
        switch self {
        case .sgd(let rate, _, _, _), .adam(let rate, _, _, _, _): return rate
        }
    }

    public func makeOptimizer() -> Optimizer {
        switch self {
        case let .sgd(_, momentum, nesterov, weightDecay):
            return SGDOptimizer(momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(weightDecay))
        case let .adam(_, beta1, beta2, epsilon, weightDecay):
            return AdamOptimizer(
                beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                weightDecay: Float(weightDecay))
        }
    }
}

extension OptimizerConfig: Codable {
    public init(from decoder: Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyKey.self)
        let type = try fields.required(String.self, "type", context: "an optimizer")
        func number(_ name: String, _ fallback: Double?, _ range: ClosedRange<Double>, _ rule: String) throws -> Double
        {
            guard let value = try fields.optional(Double.self, name) ?? fallback else {
                throw SpecError(code: "missing_field", path: name, "the \(type) optimizer needs '\(name)' (\(rule))")
            }
            guard value.isFinite, range.contains(value) else {
                throw SpecError(path: name, "'\(name)' must be \(rule), got \(value)")
            }
            return value
        }
        let weightDecay = { try number("weight_decay", 0, 0...1e6, "zero or positive") }
        switch type {
        case "sgd":
            try fields.rejectUnknownFields(
                allowed: ["type", "learning_rate", "momentum", "nesterov", "weight_decay"],
                context: "the sgd optimizer")
            let momentum = try number("momentum", 0, 0...0.999_999, "in [0, 1)")
            let nesterov = try fields.optional(Bool.self, "nesterov") ?? false
            if nesterov && momentum == 0 {
                throw SpecError(path: "nesterov", "Nesterov momentum needs a 'momentum' above 0")
            }
            self = .sgd(
                learningRate: try number("learning_rate", nil, 1e-12...1e6, "a positive number"),
                momentum: momentum, nesterov: nesterov, weightDecay: try weightDecay())
        case "adam":
            try fields.rejectUnknownFields(
                allowed: ["type", "learning_rate", "beta1", "beta2", "epsilon", "weight_decay"],
                context: "the adam optimizer")
            self = .adam(
                learningRate: try number("learning_rate", 0.001, 1e-12...1e6, "a positive number"),
                beta1: try number("beta1", 0.9, 0...0.999_999, "in [0, 1)"),
                beta2: try number("beta2", 0.999, 0...0.999_999_9, "in [0, 1)"),
                epsilon: try number("epsilon", 1e-8, 1e-30...1, "a small positive number"),
                weightDecay: try weightDecay())
        default:
            throw SpecError(path: "type", "unknown optimizer '\(type)'; use 'sgd' or 'adam'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var fields = encoder.container(keyedBy: AnyKey.self)
        switch self {
        case let .sgd(learningRate, momentum, nesterov, weightDecay):
            try fields.encode("sgd", forKey: AnyKey("type"))
            try fields.encode(learningRate, forKey: AnyKey("learning_rate"))
            try fields.encode(momentum, forKey: AnyKey("momentum"))
            try fields.encode(nesterov, forKey: AnyKey("nesterov"))
            try fields.encode(weightDecay, forKey: AnyKey("weight_decay"))
        case let .adam(learningRate, beta1, beta2, epsilon, weightDecay):
            try fields.encode("adam", forKey: AnyKey("type"))
            try fields.encode(learningRate, forKey: AnyKey("learning_rate"))
            try fields.encode(beta1, forKey: AnyKey("beta1"))
            try fields.encode(beta2, forKey: AnyKey("beta2"))
            try fields.encode(epsilon, forKey: AnyKey("epsilon"))
            try fields.encode(weightDecay, forKey: AnyKey("weight_decay"))
        }
    }
}
