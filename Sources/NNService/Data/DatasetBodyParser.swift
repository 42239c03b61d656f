import NNCore

/// Reads a JSON data set upload (`{"name", "input_shape"?, "inputs", "targets", "task"?}`) in one
/// pass over the body bytes as they arrive (`feed`, then `finish`): the rows of `inputs` go straight into the float buffer that is
/// stored, with no tree of JSON values in between (a tree costs tens of bytes per number, the
/// buffer four). The other members are small and go through `JSONParser`. The rules are those of
/// `DatasetParser`: RFC 8259 syntax (NaN and Infinity are 400), rows flat or nested to
/// `input_shape`, every value a finite float32, errors naming the first offending element.
struct DatasetBodyParser {
    /// Where the reader stands in the document; each phase reads one unit (a member, a row, a
    /// separator), which is parsed again from its start if it runs past the bytes received so far.
    private enum Phase: Equatable {
        /// Before the first non-blank byte; nothing is consumed, in case the body is no object.
        case documentStart
        /// The body is not an object: kept whole, judged at the end (400 or 422).
        case notObject
        case objectStart
        case member
        case memberEnd
        case rowsStart
        case row
        case afterDocument
    }

    private var phase = Phase.documentStart
    /// Bytes received and not yet consumed (from `consumed` on); `base` is the body offset of
    /// `pending[0]`.
    private var pending: [UInt8] = []
    private var consumed = 0
    private var base = 0
    /// A unit that ran past the end is tried again once this many unconsumed bytes are here, so
    /// a long unit (a wide row) is re-read a logarithmic number of times, not once per read.
    private var retryAt = 0
    private var finished = false
    /// The body's length when known (Content-Length): it bounds the count of numbers.
    private let expectedBytes: Int?
    private var scanner = JSONNumberScanner(bytes: UnsafeBufferPointer(start: nil, count: 0))
    private var inputs: [Float] = []
    /// The nesting of the first row ([count] for a flat row, [a, b, …] for nested ones); every
    /// other row must match it.
    private var rowDimensions: [Int] = []
    private var rowCount = 0
    /// The nesting of the row being read, and the position in it (for error paths).
    private var rowShape: [Int] = []
    private var rowPosition: [Int] = []
    private var members: [(String, JSONValue)] = []
    private var sawInputs = false

    /// `expectedBytes`: the body's length if known, to reserve the float buffer once.
    init(expectedBytes: Int? = nil) {
        self.expectedBytes = expectedBytes
    }

    static func parse(_ body: [UInt8]) throws -> DatasetUpload {
        var parser = DatasetBodyParser(expectedBytes: body.count)
        try body.withUnsafeBytes { try parser.feed($0) }
        return try parser.finish()
    }

    /// The next bytes of the body, in order. Rows are parsed as soon as they are complete.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        guard phase != .notObject, pending.count - consumed >= retryAt else { return }
        try run()
    }

    /// The body ended: the rest is parsed and the data set checked as a whole.
    mutating func finish() throws -> DatasetUpload {
        finished = true
        if phase == .documentStart || phase == .notObject {
            scanner = JSONNumberScanner(bytes: UnsafeBufferPointer(start: nil, count: 0))
            try pending.withUnsafeBufferPointer { buffer in
                var probe = JSONNumberScanner(bytes: buffer)
                probe.skipWhitespace()
                if probe.peek == UInt8(ascii: "{") { return }
                // Not an object: malformed JSON is a 400, any other value a 422.
                guard !buffer.isEmpty else { throw ServiceError.badJSON("the body is empty") }
                _ = try JSONParser.parse(pending)
                throw ServiceError.invalid("the body must be a JSON object with inputs and targets", path: nil)
            }
        }
        try run()
        return try assemble()
    }

    /// Reads units until the document ends or a unit needs bytes that have not arrived.
    private mutating func run() throws {
        let window = pending
        try window.withUnsafeBufferPointer { buffer in
            scanner = JSONNumberScanner(bytes: buffer, base: base)
            defer { scanner = JSONNumberScanner(bytes: UnsafeBufferPointer(start: nil, count: 0)) }
            scanner.index = consumed
            retryAt = 0
            while true {
                let unitStart = index
                let floats = inputs.count
                let (phaseBefore, memberCount, sawInputsBefore) = (phase, members.count, sawInputs)
                scanner.touchedEnd = false
                let more: Bool
                do {
                    more = try step()
                } catch {
                    guard scanner.touchedEnd && !finished else { throw error }
                    more = false
                }
                if scanner.touchedEnd && !finished {
                    // The unit may read differently with more bytes: undo it and wait.
                    index = unitStart
                    inputs.removeSubrange(floats...)
                    (phase, sawInputs) = (phaseBefore, sawInputsBefore)
                    members.removeSubrange(memberCount...)
                    retryAt = 2 * (buffer.count - unitStart)
                    break
                }
                consumed = index
                if !more { break }
            }
        }
        if consumed > 0 && phase != .documentStart && phase != .notObject {
            pending.removeSubrange(0..<consumed)
            base += consumed
            consumed = 0
        }
    }

    private var index: Int {
        get { scanner.index }
        set { scanner.index = newValue }
    }

    /// One unit; false when the document is complete or waits for more bytes. `run` undoes a
    /// unit that looked past the bytes received (its phase, members, floats and position); the
    /// row count and shape change only after a row has been read in full.
    private mutating func step() throws -> Bool {
        switch phase {
        case .documentStart:
            scanner.skipWhitespace()
            if scanner.peek != UInt8(ascii: "{") {
                if !scanner.touchedEnd { phase = .notObject }
                index = 0
                return false
            }
            index += 1
            phase = .objectStart
        case .notObject:
            return false
        case .objectStart:
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: "}") {
                index += 1
                phase = .afterDocument
            } else {
                phase = .member
            }
        case .member:
            try readMember()
        case .memberEnd:
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: ",") {
                index += 1
                phase = .member
            } else {
                guard scanner.peek == UInt8(ascii: "}") else {
                    throw scanner.failure("expected ',' or '}' in an object")
                }
                index += 1
                phase = .afterDocument
            }
        case .rowsStart:
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: "]") {
                index += 1
                members.append(("inputs", .array([])))
                phase = .memberEnd
            } else {
                phase = .row
            }
        case .row:
            try readRow()
        case .afterDocument:
            scanner.skipWhitespace()
            guard index == scanner.bytes.count else { throw scanner.failure("unexpected text after the JSON value") }
            return false
        }
        return true
    }

    /// `"name": value`, or `"inputs": [` which starts the rows.
    private mutating func readMember() throws {
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
            index += 1
            sawInputs = true
            // Every number takes at least two bytes with its separator, so the body's remaining
            // length bounds the count: the buffer is reserved once and never regrown (growing by
            // doubling would hold the old and the new buffer at once). Pages of the reservation
            // that are never written are never resident.
            if let expectedBytes {
                inputs.reserveCapacity(CheckedSize.uploadReservation(max(0, expectedBytes - base - index) / 2 + 1))
            }
            phase = .rowsStart
        } else {
            let value = try genericValue()
            members.append((name, value))
            phase = .memberEnd
        }
    }

    /// Any value other than the rows, parsed by `JSONParser` from a copy of its bytes.
    private mutating func genericValue() throws -> JSONValue {
        let start = index
        try scanner.skipValue()
        do {
            return try JSONParser.parse(Array(scanner.bytes[start..<index]))
        } catch var failure as JSONParser.Failure {
            let relative = failure.offset
            failure.offset += base + start
            failure.message = failure.message.replacingOccurrences(
                of: "at byte \(relative)", with: "at byte \(failure.offset)")
            throw failure
        }
    }

    /// One row of `inputs` and the separator after it, its numbers appended to `inputs`.
    private mutating func readRow() throws {
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
    private mutating func parseNested(level: Int) throws {
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
    private mutating func appendNumber(_ byte: UInt8, at count: Int) throws {
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
        guard let name = body["name"]?.stringValue ?? (body["name"] == nil ? "dataset" : nil), !name.isEmpty,
            name.count <= 256
        else {
            throw ServiceError.invalid("'name' must be a string of 1 to 256 characters", path: "name")
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
