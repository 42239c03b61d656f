import NNCore

/// Reads a JSON data set upload (`{"name", "input_shape"?, "inputs", "targets", "task"?}`) in one
/// pass over the body bytes: the rows of `inputs` go straight into the float buffer that is
/// stored, with no tree of JSON values in between (a tree costs tens of bytes per number, the
/// buffer four). The other members are small and go through `JSONParser`. The rules are those of
/// `DatasetParser`: RFC 8259 syntax (NaN and Infinity are 400), rows flat or nested to
/// `input_shape`, every value a finite float32, errors naming the first offending element.
struct DatasetBodyParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var scanner: JSONNumberScanner
    private var inputs: [Float] = []
    /// The nesting of the first row ([count] for a flat row, [a, b, …] for nested ones); every
    /// other row must match it.
    private var rowDimensions: [Int] = []
    private var rowCount = 0
    private var members: [(String, JSONValue)] = []

    static func parse(_ body: [UInt8]) throws -> DatasetUpload {
        try body.withUnsafeBufferPointer { buffer in
            var parser = DatasetBodyParser(bytes: buffer)
            return try parser.parseDocument()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        scanner = JSONNumberScanner(bytes: bytes)
    }

    static func commaCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte == UInt8(ascii: ",") { count &+= 1 }
        return count
    }

    private var index: Int {
        get { scanner.index }
        set { scanner.index = newValue }
    }

    private mutating func parseDocument() throws -> DatasetUpload {
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else {
            // Not an object: malformed JSON is a 400, any other value a 422.
            guard !bytes.isEmpty else { throw ServiceError.badJSON("the body is empty") }
            _ = try JSONParser.parse(Array(bytes))
            throw ServiceError.invalid("the body must be a JSON object with inputs and targets", path: nil)
        }
        index += 1
        var sawInputs = false
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let key = try genericValue()
                guard case let .string(name) = key else { throw scanner.failure("expected a quoted field name") }
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: ":") else {
                    throw scanner.failure("expected ':' after a field name")
                }
                index += 1
                scanner.skipWhitespace()
                if name == "inputs" && !sawInputs && scanner.peek == UInt8(ascii: "[") {
                    sawInputs = true
                    try parseRows()
                    members.append((name, .array([])))
                } else {
                    members.append((name, try genericValue()))
                }
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard scanner.peek == UInt8(ascii: "}") else {
                    throw scanner.failure("expected ',' or '}' in an object")
                }
                index += 1
                break
            }
        }
        scanner.skipWhitespace()
        guard index == bytes.count else { throw scanner.failure("unexpected text after the JSON value") }
        return try assemble()
    }

    /// Any value other than the rows, parsed by `JSONParser` from a copy of its bytes.
    private mutating func genericValue() throws -> JSONValue {
        let start = index
        try scanner.skipValue()
        do {
            return try JSONParser.parse(Array(bytes[start..<index]))
        } catch var failure as JSONParser.Failure {
            failure.offset += start
            failure.message = failure.message.replacingOccurrences(
                of: "at byte \(failure.offset - start)", with: "at byte \(failure.offset)")
            throw failure
        }
    }

    /// `[row, row, …]`, each row's numbers appended to `inputs`.
    private mutating func parseRows() throws {
        index += 1
        // Every number but the last of an array is followed by a comma, so the commas of the body
        // bound the count: the buffer is reserved once, a few percent over, and never regrown
        // (growing by doubling would hold the old and the new buffer at once).
        inputs.reserveCapacity(Self.commaCount(bytes) + 1)
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            index += 1
            return
        }
        var dimensions: [Int] = []
        while true {
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: "[") else {
                if index >= bytes.count { throw scanner.failure("the JSON ends early") }
                let value = try genericValue()
                throw ServiceError.invalid(
                    "each row must be an array of numbers, found \(value.kindName)", path: "inputs[\(rowCount)]")
            }
            dimensions.removeAll(keepingCapacity: true)
            var position: [Int] = []
            try parseNested(level: 0, dimensions: &dimensions, position: &position)
            if rowCount == 0 {
                guard dimensions.reduce(1, *) >= 1 else {
                    throw ServiceError.invalid("a row needs at least one number", path: "inputs[0]")
                }
                rowDimensions = dimensions
            } else if dimensions != rowDimensions {
                let width = rowDimensions.reduce(1, *)
                throw ServiceError.invalid(
                    "a row needs \(width) numbers like the first row (nested as \(rowDimensions)), this one has \(dimensions.reduce(1, *)) values nested as \(dimensions)",
                    path: "inputs[\(rowCount)]")
            }
            rowCount += 1
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard scanner.peek == UInt8(ascii: "]") else { throw scanner.failure("expected ',' or ']' in an array") }
            index += 1
            return
        }
    }

    /// One array of a row at `level`: numbers (the innermost level) or arrays, never both; the
    /// sizes of each level must agree within the row (it is rectangular).
    private mutating func parseNested(level: Int, dimensions: inout [Int], position: inout [Int]) throws {
        guard level < 4 else {
            throw ServiceError.invalid("rows nest at most 3 levels deep", path: path(position))
        }
        index += 1
        // Levels are entered outermost first, so a level's slot exists before its inner ones.
        if dimensions.count == level { dimensions.append(-1) }
        position.append(0)
        defer { position.removeLast() }
        var count = 0
        var holdsArrays: Bool?
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                position[position.count - 1] = count
                let isArray = scanner.peek == UInt8(ascii: "[")
                if let holdsArrays, holdsArrays != isArray {
                    throw ServiceError.invalid(
                        "a row mixes numbers and arrays at one level; nest every value alike", path: path(position))
                }
                holdsArrays = isArray
                if isArray {
                    try parseNested(level: level + 1, dimensions: &dimensions, position: &position)
                } else {
                    try appendNumber(position)
                }
                count += 1
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard scanner.peek == UInt8(ascii: "]") else {
                    throw scanner.failure("expected ',' or ']' in an array")
                }
                index += 1
                break
            }
        }
        if dimensions[level] == -1 {
            dimensions[level] = count
        } else if dimensions[level] != count {
            throw ServiceError.invalid(
                "expected \(dimensions[level]) values at this level like the others of the row, found \(count)",
                path: path(position.dropLast()))
        }
    }

    @inline(__always)
    private mutating func appendNumber(_ position: [Int]) throws {
        let byte = scanner.peek
        guard byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else {
            if index >= bytes.count { throw scanner.failure("the JSON ends early") }
            let value = try genericValue()
            throw ServiceError.invalid("expected a number, found \(value.kindName)", path: path(position))
        }
        let number = try scanner.number()
        let single = Float(number)
        guard single.isFinite else {
            throw ServiceError.invalid(
                "\(number) overflows float32 (largest magnitude about 3.4e38)", path: path(position))
        }
        inputs.append(single)
    }

    private func path<C: Collection>(_ position: C) -> String where C.Element == Int {
        "inputs[\(rowCount)]" + position.map { "[\($0)]" }.joined()
    }

    /// The members' checks of `DatasetParser`, then the shape of the rows against `input_shape`.
    private func assemble() throws -> DatasetUpload {
        let allowed: Set<String> = ["name", "input_shape", "inputs", "targets", "task"]
        if let unknown = members.first(where: { !allowed.contains($0.0) }) {
            throw ServiceError.invalid(
                "unknown field '\(unknown.0)'; allowed fields are input_shape, inputs, name, targets, task",
                path: unknown.0, code: "unknown_field")
        }
        let body = JSONValue.object(members)
        guard let name = body["name"]?.stringValue ?? (body["name"] == nil ? "dataset" : nil), !name.isEmpty else {
            throw ServiceError.invalid("'name' must be a non-empty string", path: "name")
        }
        guard body["inputs"]?.arrayValue != nil, rowCount > 0 else {
            throw ServiceError.invalid("'inputs' must be a non-empty array of rows", path: "inputs")
        }
        guard let targetValues = body["targets"]?.arrayValue else {
            throw ServiceError.invalid("'targets' must be an array with one target per input row", path: "targets")
        }
        guard targetValues.count == rowCount else {
            throw ServiceError.invalid(
                "'targets' has \(targetValues.count) entries but 'inputs' has \(rowCount) rows", path: "targets")
        }
        let width = rowDimensions.reduce(1, *)
        let inputShape: [Int]
        if let shapeValue = body["input_shape"] {
            inputShape = try DatasetParser.shape(shapeValue, path: "input_shape")
            let needed = inputShape.reduce(1, *)
            guard needed == width, rowDimensions.count == 1 || rowDimensions == inputShape else {
                throw ServiceError.invalid(
                    "a row needs \(needed) numbers (input_shape \(inputShape)), flat or nested to it; the rows hold \(width) nested as \(rowDimensions)",
                    path: "inputs[0]")
            }
        } else {
            guard rowDimensions.count == 1 else {
                throw ServiceError.invalid(
                    "expected a number, found an array (nested rows need an input_shape)", path: "inputs[0][0]")
            }
            inputShape = rowDimensions
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
}
