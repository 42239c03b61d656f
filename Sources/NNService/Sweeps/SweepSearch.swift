import Foundation
import NNCore

/// The trials of a sweep, fixed at submission: a grid in order (the last parameter varies
/// fastest, as `itertools.product`), or random draws from one `SeededGenerator` seeded with the
/// sweep's `seed`, parameter by parameter in the order of their paths (`SweepRequest` sorts
/// them). The same request therefore gives the same trials on every server.
enum SweepSearch {
    /// Each trial's parameters as a JSON object `{path: value}` in the request's order.
    static func trials(_ request: SweepRequest) -> [JSONValue] {
        switch request.search {
        case .grid: return grid(request.parameters, limit: request.trials)
        case .random: return random(request.parameters, count: request.trials, seed: request.seed)
        }
    }

    static func grid(_ parameters: [SweepRequest.Parameter], limit: Int) -> [JSONValue] {
        let lists: [[JSONValue]] = parameters.map {
            if case .values(let values) = $0.space { return values }
            return []
        }
        var combinations: [[JSONValue]] = [[]]
        for list in lists {
            combinations = combinations.flatMap { prefix in list.map { prefix + [$0] } }
        }
        return combinations.prefix(limit).map { values in
            .object(zip(parameters, values).map { ($0.path.text, $1) })
        }
    }

    static func random(_ parameters: [SweepRequest.Parameter], count: Int, seed: UInt64) -> [JSONValue] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            .object(parameters.map { ($0.path.text, draw($0.space, &generator)) })
        }
    }

    /// One value of a space. Ranges draw a double in [0, 1) from the top 53 bits.
    static func draw(_ space: SweepRequest.Space, _ generator: inout SeededGenerator) -> JSONValue {
        switch space {
        case .values(let values):
            return values[generator.index(below: values.count)]
        case let .uniform(low, high):
            return .number(low + (high - low) * unit(&generator))
        case let .logUniform(low, high):
            return .number(min(high, max(low, exp(log(low) + (log(high) - log(low)) * unit(&generator)))))
        case let .intUniform(low, high):
            // Bounds are within ±2^53 (checked when parsed), so the span fits.
            return .number(Double(low + generator.index(below: high - low + 1)))
        }
    }

    private static func unit(_ generator: inout SeededGenerator) -> Double {
        Double(generator.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// The job body of a trial: the base job with each parameter's field replaced.
    static func jobBody(base: JSONValue, params: JSONValue) -> JSONValue {
        var body = base
        for (key, value) in params.objectMembers ?? [] {
            if let path = ParameterPath(key) { body = path.setting(value, in: body) }
        }
        return body
    }

    /// The values each parameter may take at its extremes, with where they sit in the request:
    /// every listed value, and both ends of a range. Each is checked as a job on its own.
    static func extremes(_ parameter: SweepRequest.Parameter) -> [(value: JSONValue, path: String)] {
        let base = "parameters." + parameter.path.text
        switch parameter.space {
        case .values(let values):
            return values.enumerated().map { ($1, "\(base).values[\($0)]") }
        case let .uniform(low, high):
            return [(.number(low), base + ".uniform[0]"), (.number(high), base + ".uniform[1]")]
        case let .logUniform(low, high):
            return [(.number(low), base + ".log_uniform[0]"), (.number(high), base + ".log_uniform[1]")]
        case let .intUniform(low, high):
            return [
                (.number(Double(low)), base + ".int_uniform[0]"), (.number(Double(high)), base + ".int_uniform[1]"),
            ]
        }
    }
}
