import NNCore

/// The rows of `inputs`: each read straight into the float buffer, flat or nested to
/// `input_shape`, with the position of the first offending element kept for its error path.
extension DatasetBodyParser {
    /// One row of `inputs` and the separator after it, its numbers appended to `inputs`.
    mutating func readRow() throws {
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "[") else {
            if index >= scanner.bytes.count { throw scanner.failure("the JSON ends early") }
            let value = try genericValue()
            throw ServiceError.invalid(
                "each row must be an array of numbers, found \(value.kindName)", path: "inputs[\(rowCount)]")
        }
        rowShape.removeAll(keepingCapacity: true)
        rowPosition.removeAll(keepingCapacity: true)
        try parseNested(level: 0)
        let dimensions = rowShape
        if rowCount == 0 {
            guard dimensions.reduce(1, *) >= 1 else {
                throw ServiceError.invalid("a row needs at least one number", path: "inputs[0]")
            }
        } else if dimensions != rowDimensions {
            let width = rowDimensions.reduce(1, *)
            throw ServiceError.invalid(
                "a row needs \(width) numbers like the first row (nested as \(rowDimensions)), this one has \(dimensions.reduce(1, *)) values nested as \(dimensions)",
                path: "inputs[\(rowCount)]")
        }
        scanner.skipWhitespace()
        var next = Phase.row
        if scanner.peek == UInt8(ascii: ",") {
            index += 1
        } else {
            guard scanner.peek == UInt8(ascii: "]") else { throw scanner.failure("expected ',' or ']' in an array") }
            index += 1
            next = .memberEnd
        }
        if scanner.touchedEnd && !finished { return }
        if rowCount == 0 { rowDimensions = dimensions }
        rowCount += 1
        if next == .memberEnd { members.append(("inputs", .array([]))) }
        phase = next
    }

    /// One array of a row at `level`: numbers (the innermost level) or arrays, never both; the
    /// sizes of each level must agree within the row (it is rectangular). `rowPosition` names
    /// where an error is; it is brought up to date only on the way to an error or into a nested
    /// array, which keeps the loop over numbers free of bookkeeping.
    mutating func parseNested(level: Int) throws {
        guard level < 4 else {
            throw ServiceError.invalid("rows nest at most 3 levels deep", path: path(rowPosition))
        }
        index += 1
        // Levels are entered outermost first, so a level's slot exists before its inner ones.
        if rowShape.count == level { rowShape.append(-1) }
        rowPosition.append(0)
        defer { rowPosition.removeLast() }
        var count = 0
        var holdsArrays: Bool?
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let byte = scanner.peek
                let isArray = byte == UInt8(ascii: "[")
                if let holdsArrays, holdsArrays != isArray {
                    rowPosition[rowPosition.count - 1] = count
                    throw ServiceError.invalid(
                        "a row mixes numbers and arrays at one level; nest every value alike", path: path(rowPosition))
                }
                holdsArrays = isArray
                if isArray {
                    rowPosition[rowPosition.count - 1] = count
                    try parseNested(level: level + 1)
                } else {
                    try appendNumber(byte, at: count)
                }
                count += 1
                scanner.skipWhitespace()
                let next = scanner.peek
                if next == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard next == UInt8(ascii: "]") else {
                    throw scanner.failure("expected ',' or ']' in an array")
                }
                index += 1
                break
            }
        }
        if rowShape[level] == -1 {
            rowShape[level] = count
        } else if rowShape[level] != count {
            throw ServiceError.invalid(
                "expected \(rowShape[level]) values at this level like the others of the row, found \(count)",
                path: path(rowPosition.dropLast()))
        }
    }

    /// The number starting with `byte`, element `count` of the innermost array.
    @inline(__always)
    mutating func appendNumber(_ byte: UInt8, at count: Int) throws {
        guard byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else {
            rowPosition[rowPosition.count - 1] = count
            if index >= scanner.bytes.count { throw scanner.failure("the JSON ends early") }
            let value = try genericValue()
            throw ServiceError.invalid("expected a number, found \(value.kindName)", path: path(rowPosition))
        }
        let number = try scanner.number()
        let single = Float(number)
        guard single.isFinite else {
            rowPosition[rowPosition.count - 1] = count
            throw ServiceError.invalid(
                "\(number) overflows float32 (largest magnitude about 3.4e38)", path: path(rowPosition))
        }
        inputs.append(single)
    }

    func path<C: Collection>(_ position: C) -> String where C.Element == Int {
        "inputs[\(rowCount)]" + position.map { "[\($0)]" }.joined()
    }
}
