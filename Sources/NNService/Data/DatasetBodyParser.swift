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
    enum Phase: Equatable {
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

    var phase = Phase.documentStart
    /// Bytes received and not yet consumed (from `consumed` on); `base` is the body offset of
    /// `pending[0]`.
    var pending: [UInt8] = []
    var consumed = 0
    var base = 0
    /// A unit that ran past the end is tried again once this many unconsumed bytes are here, so
    /// a long unit (a wide row) is re-read a logarithmic number of times, not once per read.
    var retryAt = 0
    var finished = false
    /// The body's length when known (Content-Length): it bounds the count of numbers.
    let expectedBytes: Int?
    var scanner = JSONNumberScanner(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var inputs: [Float] = []
    /// The nesting of the first row ([count] for a flat row, [a, b, …] for nested ones); every
    /// other row must match it.
    var rowDimensions: [Int] = []
    var rowCount = 0
    /// The nesting of the row being read, and the position in it (for error paths).
    var rowShape: [Int] = []
    var rowPosition: [Int] = []
    var members: [(String, JSONValue)] = []
    var sawInputs = false

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

    var index: Int {
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
    mutating func genericValue() throws -> JSONValue {
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
