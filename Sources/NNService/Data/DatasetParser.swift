import NNCore

/// Turns a parsed JSON document into a data set: `{"name", "input_shape"?, "inputs",
/// "targets", "task"?}`. Rows are flat or nested to `input_shape`; all-integer targets mean
/// classification unless `task` says otherwise. Errors name the first offending element.
/// Uploads go through `DatasetBodyParser`, which reads the body in one pass without a tree;
/// this tree-based reader is the reference the JSON data set fuzzer holds it to.
enum DatasetParser {
    static let maxRows = 10_000_000

    static func parseJSON(_ body: JSONValue, bodyBytes: Int = Int.max) throws -> DatasetUpload {
        guard let members = body.objectMembers else {
            throw ServiceError.invalid("the body must be a JSON object with inputs and targets", path: nil)
        }
        let allowed: Set<String> = ["name", "input_shape", "inputs", "targets", "task"]
        if let unknown = members.first(where: { !allowed.contains($0.0) }) {
            throw ServiceError.invalid(
                "unknown field '\(unknown.0)'; allowed fields are input_shape, inputs, name, targets, task",
                path: unknown.0, code: "unknown_field")
        }
        guard let name = body["name"]?.stringValue ?? (body["name"] == nil ? "dataset" : nil), !name.isEmpty else {
            throw ServiceError.invalid("'name' must be a non-empty string", path: "name")
        }
        guard let rows = body["inputs"]?.arrayValue, !rows.isEmpty else {
            throw ServiceError.invalid("'inputs' must be a non-empty array of rows", path: "inputs")
        }
        guard let targetValues = body["targets"]?.arrayValue else {
            throw ServiceError.invalid("'targets' must be an array with one target per input row", path: "targets")
        }
        guard targetValues.count == rows.count else {
            throw ServiceError.invalid(
                "'targets' has \(targetValues.count) entries but 'inputs' has \(rows.count) rows", path: "targets")
        }
        var inputShape: [Int]
        if let shapeValue = body["input_shape"] {
            inputShape = try shape(shapeValue, path: "input_shape")
        } else {
            // A row of no numbers would store a data set with no features (found by fuzzing).
            guard RowReader.flatCount(rows[0]) >= 1 else {
                throw ServiceError.invalid("a row needs at least one number", path: "inputs[0]")
            }
            inputShape = [RowReader.flatCount(rows[0])]
        }
        let reader = RowReader(shape: inputShape)
        let claimed = try CheckedSize.product(
            [rows.count, reader.width], limit: CheckedSize.maxValues, path: "inputs", what: "rows × row width")
        var inputs: [Float] = []
        inputs.reserveCapacity(CheckedSize.reservation(claimed: claimed, bodyBytes: bodyBytes))
        for (index, row) in rows.enumerated() {
            try reader.append(row, path: "inputs[\(index)]", to: &inputs)
        }
        let task = try body["task"].map { value -> String in
            guard let text = value.stringValue, text == "classification" || text == "regression" else {
                throw ServiceError.invalid("'task' must be \"classification\" or \"regression\"", path: "task")
            }
            return text
        }
        let (targets, target) = try TargetReader.read(targetValues, task: task)
        return DatasetUpload(name: name, inputShape: inputShape, inputs: inputs, targets: targets, target: target)
    }

    static func shape(_ value: JSONValue, path: String) throws -> [Int] {
        guard let items = value.arrayValue, (1...3).contains(items.count) else {
            throw ServiceError.invalid("'\(path)' must be an array of 1 to 3 positive integers", path: path)
        }
        let dimensions = try items.enumerated().map { index, item in
            guard let number = item.numberValue, number >= 1, number <= Double(ModelSpec.maxInputElements),
                number.rounded() == number
            else {
                throw ServiceError.invalid(
                    "'\(path)' entries must be integers from 1 to \(ModelSpec.maxInputElements)",
                    path: "\(path)[\(index)]")
            }
            return Int(number)
        }
        _ = try CheckedSize.sampleWidth(dimensions, path: path)
        return dimensions
    }
}

/// Reads input rows, flat or nested to a shape, checking every value is a finite float32.
/// The shape's product must already be checked (`CheckedSize.sampleWidth`).
struct RowReader {
    let shape: [Int]
    let width: Int

    init(shape: [Int]) {
        self.shape = shape
        width = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    }

    static func flatCount(_ row: JSONValue) -> Int {
        row.arrayValue?.count ?? 1
    }

    func append(_ row: JSONValue, path: String, to out: inout [Float]) throws {
        guard let values = row.arrayValue else {
            throw ServiceError.invalid("each row must be an array of numbers", path: path)
        }
        // Flat rows; a rank-1 shape is always flat, so a bad cell is named exactly.
        if values.count == width, shape.count == 1 || values.allSatisfy({ $0.numberValue != nil }) {
            for (index, value) in values.enumerated() { out.append(try Self.float(value, path: path, index)) }
            return
        }
        if shape.count > 1 {
            try appendNested(row, depth: 0, path: path, to: &out)
            return
        }
        throw ServiceError.invalid(
            "a row needs \(width) numbers (input_shape \(shape)), this one has \(values.count) values", path: path)
    }

    private func appendNested(_ value: JSONValue, depth: Int, path: String, to out: inout [Float]) throws {
        if depth == shape.count {
            out.append(try Self.float(value, path: path))
            return
        }
        guard let items = value.arrayValue, items.count == shape[depth] else {
            throw ServiceError.invalid(
                "expected \(shape[depth]) values at this level for input_shape \(shape) (flat rows need \(width) numbers)",
                path: path)
        }
        for (index, item) in items.enumerated() {
            try appendNested(item, depth: depth + 1, path: "\(path)[\(index)]", to: &out)
        }
    }

    /// The value as a finite float32. The error path is built only on failure: rows hold
    /// hundreds of values and predictions must not pay for a string per value.
    @inline(__always)
    static func float(_ value: JSONValue, path: @autoclosure () -> String, _ index: Int? = nil) throws -> Float {
        if case let .number(number) = value {
            let single = Float(number)
            if single.isFinite { return single }
        }
        let at = index.map { "\(path())[\($0)]" } ?? path()
        guard let number = value.numberValue else {
            throw ServiceError.invalid("expected a number, found \(value.kindName)", path: at)
        }
        throw ServiceError.invalid("\(number) overflows float32 (largest magnitude about 3.4e38)", path: at)
    }
}
