/// The members of a sweep body that take more than a type check: a parameter's space, the
/// size of a grid, early termination, and numbers past a double's range.
extension SweepRequest {
    static func space(_ spec: JSONValue, path: String, search: Search) throws -> Space {
        let kinds = ["values", "uniform", "log_uniform", "int_uniform"]
        guard let members = spec.objectMembers, members.count == 1, let (kind, argument) = members.first,
            kinds.contains(kind)
        else {
            throw ServiceError.invalid(
                "a parameter is one of {\"values\": [...]}, {\"uniform\": [low, high]}, {\"log_uniform\": [low, high]} or {\"int_uniform\": [low, high]}",
                path: path)
        }
        let argumentPath = path + "." + kind
        if kind == "values" {
            guard let values = argument.arrayValue, !values.isEmpty else {
                throw ServiceError.invalid("'values' must be a non-empty array", path: argumentPath)
            }
            return .values(values)
        }
        guard search == .random else {
            throw ServiceError.invalid(
                "grid search takes 'values' only; use \"search\": \"random\" for a range", path: argumentPath)
        }
        guard let bounds = argument.arrayValue, bounds.count == 2, let low = bounds[0].numberValue,
            let high = bounds[1].numberValue
        else {
            throw ServiceError.invalid("'\(kind)' must be [low, high], two numbers", path: argumentPath)
        }
        guard low <= high, (high - low).isFinite else {
            throw ServiceError.invalid(
                "'\(kind)' must have low ≤ high (and a finite span), got [\(low), \(high)]", path: argumentPath)
        }
        switch kind {
        case "uniform":
            return .uniform(low, high)
        case "log_uniform":
            guard low > 0 else {
                throw ServiceError.invalid(
                    "'log_uniform' needs positive bounds, got \(low)", path: argumentPath + "[0]")
            }
            return .logUniform(low, high)
        default:
            // Bounds within ±2^53, so that the count of integers between them cannot overflow.
            let limit = 9_007_199_254_740_992
            let lowInt = try integer(bounds[0], path: argumentPath + "[0]", -limit...limit)
            let highInt = try integer(bounds[1], path: argumentPath + "[1]", -limit...limit)
            return .intUniform(lowInt, highInt)
        }
    }

    /// The path of the first number that parsed to an infinity (a literal past the range of a
    /// double, such as 1e400), which no field accepts and JSON cannot write back.
    static func firstOverflow(_ value: JSONValue, path: String) -> String? {
        switch value {
        case .number(let number):
            return number.isFinite ? nil : path
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstOverflow(item, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for (key, member) in members {
                let memberPath = path.isEmpty ? String(key.prefix(256)) : path + "." + key.prefix(256)
                if let found = firstOverflow(member, path: memberPath) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// The number of combinations of a grid, with checked multiplication against `maxTrials`.
    static func gridSize(_ parameters: [Parameter]) throws -> Int {
        var total = 1
        for parameter in parameters {
            guard case .values(let values) = parameter.space else { continue }
            let (product, overflow) = total.multipliedReportingOverflow(by: values.count)
            guard !overflow, product <= maxTrials else {
                throw ServiceError.invalid(
                    "the grid has more than \(maxTrials) combinations, the most a sweep may run; give fewer values",
                    path: "parameters", code: "too_large")
            }
            total = product
        }
        return total
    }

    static func earlyTermination(_ value: JSONValue) throws -> EarlyTermination {
        let path = "early_termination"
        guard let members = value.objectMembers else {
            throw ServiceError.invalid(
                "'early_termination' must be {\"type\": \"asha\", \"min_epochs\": 3, \"reduction_factor\": 3}",
                path: path)
        }
        for (key, _) in members where !["type", "min_epochs", "reduction_factor"].contains(key) {
            throw ServiceError.invalid(
                "unknown field '\(key.prefix(64))'; the fields are type, min_epochs, reduction_factor",
                path: path + "." + key.prefix(256), code: "unknown_field")
        }
        guard value["type"]?.stringValue == "asha" else {
            throw ServiceError.invalid("'type' must be \"asha\"", path: path + ".type")
        }
        return EarlyTermination(
            minEpochs: try value["min_epochs"].map { try integer($0, path: path + ".min_epochs", 1...1_000_000) } ?? 1,
            reductionFactor: try value["reduction_factor"].map {
                try integer($0, path: path + ".reduction_factor", 2...100)
            } ?? 3)
    }
}
