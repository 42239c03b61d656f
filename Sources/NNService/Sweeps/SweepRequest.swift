/// A `POST /v1/sweeps` body as one typed value, parsed once from the JSON with the path of every
/// offending member. What needs the store or the job's meaning (the base job, each trial) is
/// checked afterwards by `ServiceApp.admitSweep`.
struct SweepRequest: Sendable {
    enum Search: String, Sendable { case grid, random }
    enum Goal: String, Sendable { case minimize, maximize }

    /// Where a parameter's values come from: a list (grid or random) or a range (random only).
    enum Space: Sendable {
        case values([JSONValue])
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case intUniform(Int, Int)
    }

    struct Parameter: Sendable {
        var path: ParameterPath
        var space: Space
    }

    /// ASHA's rungs sit at `minEpochs × reductionFactor^k` epochs.
    struct EarlyTermination: Equatable, Sendable {
        var minEpochs: Int
        var reductionFactor: Int
    }

    var name: String?
    var job: JSONValue
    var parametersJSON: JSONValue
    var parameters: [Parameter]
    var search: Search
    var trials: Int
    var parallel: Int
    var metric: String?
    var goal: Goal?
    var earlyTermination: EarlyTermination?
    var seed: UInt64

    static let maxTrials = 1000
    static let maxParallel = 64
    static let maxParameters = 32
    /// All `values` lists together: each value is checked as a job at submission.
    static let maxValues = 1000
    /// The base job's JSON: each value and trial is checked as a job, so its size bounds that work.
    static let maxJobBytes = 256 << 10
    static let metrics = ["val_loss", "val_accuracy", "loss", "accuracy"]
    static let fields: Set<String> = [
        "name", "job", "parameters", "search", "trials", "parallel", "metric", "goal", "early_termination", "seed",
    ]

    init(_ body: JSONValue) throws {
        guard let members = body.objectMembers else {
            throw ServiceError.invalid("the body must be a JSON object with 'job' and 'parameters'", path: nil)
        }
        for (key, _) in members where !Self.fields.contains(key) {
            throw ServiceError.invalid(
                "unknown field '\(key.prefix(64))' in a sweep; the fields are \(Self.fields.sorted().joined(separator: ", "))",
                path: String(key.prefix(256)), code: "unknown_field")
        }
        if let path = Self.firstOverflow(body, path: "") {
            throw ServiceError.invalid(
                "this number is too large (it overflows a double); give a finite value", path: path)
        }
        if let value = body["name"], value != .null { name = try Labels.validName(value, path: "name") }
        let jobBytes = try (body["job"] ?? .null).jsonBytes.count
        guard jobBytes <= Self.maxJobBytes else {
            throw ServiceError.invalid(
                "the job is \(jobBytes) bytes of JSON; a sweep's job may have at most \(Self.maxJobBytes), since every trial is checked as a job",
                path: "job", code: "too_large")
        }
        guard let job = body["job"], job.objectMembers != nil else {
            throw ServiceError.invalid(
                "'job' must be the body of a training job (as for POST /v1/jobs)", path: "job",
                code: body["job"] == nil ? "missing_field" : "invalid_field")
        }
        self.job = job
        let search = try Self.choice(body["search"], path: "search", default: Search.random)
        self.search = search
        guard let parameterMembers = body["parameters"]?.objectMembers, !parameterMembers.isEmpty else {
            throw ServiceError.invalid(
                "'parameters' must be an object such as {\"optimizer.learning_rate\": {\"values\": [0.01, 0.1]}}",
                path: "parameters", code: body["parameters"] == nil ? "missing_field" : "invalid_field")
        }
        guard parameterMembers.count <= Self.maxParameters else {
            throw ServiceError.invalid(
                "at most \(Self.maxParameters) parameters are allowed, got \(parameterMembers.count)",
                path: "parameters", code: "too_large")
        }
        parametersJSON = .object(parameterMembers)
        var parameters: [Parameter] = []
        var valueCount = 0
        for (key, spec) in parameterMembers {
            let path = "parameters." + key.prefix(ParameterPath.maxLength)
            guard let parsed = ParameterPath(key) else {
                throw ServiceError.invalid(
                    "'\(key.prefix(64))' is not a field path; write it as in 'optimizer.learning_rate' or 'model.layers[0].units'",
                    path: path)
            }
            guard !parameters.contains(where: { $0.path == parsed }) else {
                throw ServiceError.invalid("the parameter '\(key)' is given twice", path: path)
            }
            let space = try Self.space(spec, path: path, search: search)
            if case .values(let values) = space { valueCount += values.count }
            guard valueCount <= Self.maxValues else {
                throw ServiceError.invalid(
                    "at most \(Self.maxValues) values are allowed over all parameters", path: path, code: "too_large")
            }
            parameters.append(Parameter(path: parsed, space: space))
        }
        // Sorted by path: the members of a JSON object are unordered (RFC 8259 §4), so the
        // order a client's encoder happens to write must not change the draws.
        self.parameters = parameters.sorted { $0.path.text < $1.path.text }
        let gridSize = search == .grid ? try Self.gridSize(parameters) : nil
        if let text = body["trials"], text != .null {
            trials = try Self.integer(text, path: "trials", 1...Self.maxTrials)
            if let gridSize, gridSize > trials {
                throw ServiceError.invalid(
                    "the grid has \(gridSize) combinations, more than trials = \(trials); raise 'trials' or give fewer values",
                    path: "trials")
            }
        } else {
            trials = gridSize ?? 10
        }
        if let gridSize { trials = min(trials, gridSize) }
        parallel = try body["parallel"].map { try Self.integer($0, path: "parallel", 1...Self.maxParallel) } ?? 1
        if let value = body["metric"], value != .null {
            guard let text = value.stringValue, Self.metrics.contains(text) else {
                throw ServiceError.invalid(
                    "'metric' must be one of \(Self.metrics.joined(separator: ", "))", path: "metric")
            }
            metric = text
        }
        goal =
            body["goal"] == nil || body["goal"] == .null
            ? nil : try Self.choice(body["goal"], path: "goal", default: .minimize)
        seed = UInt64(try body["seed"].map { try Self.integer($0, path: "seed", 0...Int.max) } ?? 0)
        if let value = body["early_termination"], value != .null {
            earlyTermination = try Self.earlyTermination(value)
        }
    }

    /// The metric ranked, and whether larger is better: by default the validation loss when the
    /// job has validation data, else the training loss; losses are minimised, accuracies maximised.
    func ranking(hasValidation: Bool) -> (metric: String, goal: Goal) {
        let metric = self.metric ?? (hasValidation ? "val_loss" : "loss")
        return (metric, goal ?? (metric.hasSuffix("accuracy") ? .maximize : .minimize))
    }

    private static func choice<T: RawRepresentable>(_ value: JSONValue?, path: String, default fallback: T) throws -> T
    where T.RawValue == String {
        guard let value, value != .null else { return fallback }
        guard let text = value.stringValue, let parsed = T(rawValue: text) else {
            let choices = path == "search" ? "'grid' or 'random'" : "'minimize' or 'maximize'"
            throw ServiceError.invalid("'\(path)' must be \(choices)", path: path)
        }
        return parsed
    }

    static func integer(_ value: JSONValue, path: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let number = value.numberValue, number.rounded() == number, number >= Double(range.lowerBound),
            number <= Double(range.upperBound), let integer = Int(exactly: number)
        else {
            throw ServiceError.invalid(
                "'\(path.split(separator: ".").last ?? "")' must be an integer from \(range.lowerBound) to \(range.upperBound), got \(value.brief)",
                path: path)
        }
        return integer
    }
}
