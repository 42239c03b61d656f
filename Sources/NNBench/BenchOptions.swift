/// Command-line flags of `nn-bench` (docs/BENCHMARKS.md): `--only W1,A1,gemm`,
/// `--threads 1,2`, `--json FILE`.
struct BenchOptions {
    static let knownIDs = ["gemm", "W1", "W2", "W3", "W4", "W5", "W6", "A1", "A2"]

    var only: [String] = knownIDs
    var threads: [Int] = [1, 2]
    var jsonPath: String?
    /// `--memory W1`: measure one workload's peak memory against its estimate, nothing else.
    var memoryWorkload: String?

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--only":
                guard let value = iterator.next() else { throw BenchError("--only needs ids, e.g. --only W1,gemm") }
                only = value.split(separator: ",").map(String.init)
                for id in only where !Self.knownIDs.contains(id) {
                    throw BenchError(
                        "unknown workload '\(id)'; this build runs \(Self.knownIDs.joined(separator: ", "))")
                }
            case "--threads":
                guard let value = iterator.next() else {
                    throw BenchError("--threads needs counts, e.g. --threads 1,2")
                }
                threads = try value.split(separator: ",").map {
                    guard let count = Int($0), count >= 1 else { throw BenchError("bad thread count '\($0)'") }
                    return count
                }
            case "--json":
                guard let value = iterator.next() else { throw BenchError("--json needs a file path") }
                jsonPath = value
            case "--memory":
                guard let value = iterator.next(), Self.knownIDs.contains(value), value.hasPrefix("W") else {
                    throw BenchError("--memory needs one workload id, e.g. --memory W1")
                }
                memoryWorkload = value
            case "--help", "-h":
                throw BenchError(
                    "usage: nn-bench [--only \(Self.knownIDs.joined(separator: ","))] [--threads 1,2] [--json FILE] | --memory W1"
                )
            default:
                throw BenchError("unknown argument '\(argument)'; try --help")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
