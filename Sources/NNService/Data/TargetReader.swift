/// Reads targets: class indices (all non-negative integers: classification) or numbers /
/// arrays of numbers (regression), with `task` overriding the guess; per-step targets are
/// arrays of class indices (values `[steps]`) or arrays of value vectors (values `[steps, k]`).
enum TargetReader {
    static func read(_ values: [JSONValue], task: String?) throws -> ([Float], DatasetRecord.Target) {
        if let first = values.first, first.arrayValue != nil {
            let width = first.arrayValue!.count
            guard width >= 1 else {
                throw ServiceError.invalid("a target array needs at least one number", path: "targets[0]")
            }
            // One value vector per step: [[v, …], …] gives targets [steps, k].
            if let inner = first.arrayValue![0].arrayValue {
                guard task != "classification" else {
                    throw ServiceError.invalid(
                        "classification targets are class indices, or one class index per step; not arrays of vectors",
                        path: "targets[0][0]")
                }
                return (try readPerStep(values, steps: width, k: inner.count), .values(shape: [width, inner.count]))
            }
            var out: [Float] = []
            out.reserveCapacity(values.count * width)
            for (row, value) in values.enumerated() {
                guard let items = value.arrayValue, items.count == width else {
                    throw ServiceError.invalid(
                        "every target needs \(width) numbers like the first", path: "targets[\(row)]")
                }
                for (index, item) in items.enumerated() {
                    out.append(try RowReader.float(item, path: "targets[\(row)][\(index)]"))
                }
            }
            // Per-step classes are stored as values [steps]; cross-entropy on a per-step output
            // reads them as class indices (and checks them) when a job is submitted.
            if task == "classification", let bad = out.firstIndex(where: { !($0 >= 0 && $0.rounded() == $0) }) {
                throw ServiceError.invalid(
                    "per-step classification targets must be class indices 0, 1, 2, …; found \(out[bad])",
                    path: "targets[\(bad / width)][\(bad % width)]")
            }
            return (out, .values(shape: [width]))
        }
        let numbers = try values.enumerated().map { try RowReader.float($1, path: "targets[\($0)]") }
        let integral = numbers.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1_000_000 }
        return try classify(numbers, integral: integral, task: task, path: "targets")
    }

    /// Targets `[steps, k]`: every row an array of `steps` arrays of `k` numbers.
    private static func readPerStep(_ values: [JSONValue], steps: Int, k: Int) throws -> [Float] {
        guard k >= 1 else {
            throw ServiceError.invalid("a per-step target needs at least one number", path: "targets[0][0]")
        }
        let claimed = try CheckedSize.product(
            [values.count, steps, k], limit: CheckedSize.maxValues, path: "targets", what: "rows × steps × values")
        var out: [Float] = []
        out.reserveCapacity(min(claimed, 1 << 20))
        for (row, value) in values.enumerated() {
            guard let items = value.arrayValue, items.count == steps else {
                throw ServiceError.invalid(
                    "every target needs \(steps) steps of \(k) numbers like the first", path: "targets[\(row)]")
            }
            for (step, item) in items.enumerated() {
                guard let numbers = item.arrayValue, numbers.count == k else {
                    throw ServiceError.invalid(
                        "every step needs \(k) numbers like the first", path: "targets[\(row)][\(step)]")
                }
                for (index, number) in numbers.enumerated() {
                    out.append(try RowReader.float(number, path: "targets[\(row)][\(step)][\(index)]"))
                }
            }
        }
        return out
    }

    static func classify(
        _ numbers: [Float], integral: Bool, task: String?, path: String
    ) throws -> ([Float], DatasetRecord.Target) {
        if task == "regression" || (task == nil && !integral) {
            return (numbers, .values(shape: [1]))
        }
        guard integral else {
            let row = numbers.firstIndex { !($0 >= 0 && $0.rounded() == $0) } ?? 0
            throw ServiceError.invalid(
                "classification targets must be class indices 0, 1, 2, …; found \(numbers[row])",
                path: "\(path)[\(row)]")
        }
        let classes = Int(numbers.max() ?? 0) + 1
        return (numbers, .classes(max(classes, 2)))
    }
}
