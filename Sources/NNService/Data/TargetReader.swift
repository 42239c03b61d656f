/// Reads targets: class indices (all non-negative integers: classification) or numbers /
/// arrays of numbers (regression), with `task` overriding the guess.
enum TargetReader {
    static func read(_ values: [JSONValue], task: String?) throws -> ([Float], DatasetRecord.Target) {
        if let first = values.first, first.arrayValue != nil {
            guard task != "classification" else {
                throw ServiceError.invalid(
                    "classification targets are single class indices, not arrays", path: "targets[0]")
            }
            let width = first.arrayValue!.count
            guard width >= 1 else {
                throw ServiceError.invalid("a target array needs at least one number", path: "targets[0]")
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
            return (out, .values(shape: [width]))
        }
        let numbers = try values.enumerated().map { try RowReader.float($1, path: "targets[\($0)]") }
        let integral = numbers.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1_000_000 }
        return try classify(numbers, integral: integral, task: task, path: "targets")
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
