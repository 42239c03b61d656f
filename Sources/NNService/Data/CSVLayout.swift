import NNCore

/// What the header of a CSV upload and the query make of each column: the target, the features
/// (in header order), the dropped text columns; and the first error of the query against the
/// header, which is answered only if every cell of the body is good (cells are checked first).
struct CSVLayout {
    let header: [String]
    /// Dropped columns, kept as text and never checked as numbers.
    let isText: [Bool]
    let targetColumn: Int?
    let features: [Int]
    let numericColumns: Int
    let shape: [Int]
    let error: ServiceError?

    init(header: [String], query: DatasetQuery) {
        self.header = header
        let drop = query.drop
        isText = header.map { drop.contains($0) }
        numericColumns = isText.filter { !$0 }.count
        let targetName = query.target ?? header.last { !drop.contains($0) } ?? ""
        let target = header.firstIndex(of: targetName)
        targetColumn = target
        features = header.indices.filter { $0 != target && !drop.contains(header[$0]) }
        var shape = [features.count]
        var problem: ServiceError?
        if let name = drop.first(where: { !header.contains($0) }) {
            problem = .invalid("drop names a column '\(name)' that the header lacks", path: "drop")
        } else if target == nil || drop.contains(targetName) {
            problem = .invalid("target column '\(targetName)' is not in the header \(header)", path: "target")
        } else if features.isEmpty {
            problem = .invalid("the CSV has no feature columns", path: nil)
        } else if let given = query.inputShape {
            do {
                let width = try CheckedSize.sampleWidth(given, path: "input_shape")
                if width == features.count {
                    shape = given
                } else {
                    problem = .invalid(
                        "input_shape \(given) needs \(width) feature columns; the CSV has \(features.count)",
                        path: "input_shape")
                }
            } catch {
                problem = error as? ServiceError
            }
        }
        self.shape = shape
        self.error = problem
    }

    /// The feature count and the input shape, or the error of the query against the header.
    func checked() throws -> (features: Int, shape: [Int]) {
        if let error { throw error }
        return (features.count, shape)
    }
}

/// Cells of one CSV line, as byte ranges of the line.
enum CSVCells {
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    /// `lower..<upper` without leading and trailing blanks, tabs and CRs.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ lower: Int, _ upper: Int) -> Range<Int> {
        var start = lower
        var end = upper
        while start < end && isBlank(bytes[start]) { start += 1 }
        while end > start && isBlank(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    /// The trimmed cells between commas.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, into cells: inout [Range<Int>]) {
        cells.removeAll(keepingCapacity: true)
        var start = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: ",") {
            cells.append(trimmed(bytes, start, index))
            start = index + 1
        }
        cells.append(trimmed(bytes, start, bytes.count))
    }

    /// The cell as a finite float32, nil if it is not one. Plain decimals of at most 2^24 as an
    /// integer mantissa and at most 10 fraction digits are one exact division (both operands are
    /// exact in float32, and IEEE division rounds correctly); everything else goes through
    /// `Float(String)`, whose rules these are.
    static func float(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Float? {
        var index = range.lowerBound
        let end = range.upperBound
        var negative = false
        if index < end && bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt32 = 0
        var digits = 0
        var fraction = 0
        var sawPoint = false
        while index < end {
            let byte = bytes[index]
            if byte &- UInt8(ascii: "0") < 10 {
                if digits >= 9 { return slowFloat(bytes, range) }
                mantissa = mantissa * 10 + UInt32(byte &- UInt8(ascii: "0"))
                digits += 1
                if sawPoint { fraction += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint, digits > 0 {
                sawPoint = true
            } else {
                return slowFloat(bytes, range)
            }
            index += 1
        }
        guard digits > 0, !(sawPoint && fraction == 0), mantissa <= 1 << 24, fraction <= 10 else {
            return slowFloat(bytes, range)
        }
        var value = Float(mantissa)
        if fraction > 0 { value /= powersOfTen[fraction] }
        return negative ? -value : value
    }

    private static let powersOfTen: [Float] = (0...10).map { exponent in
        var value: Float = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func slowFloat(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Float? {
        guard let value = Float(String(decoding: bytes[range], as: UTF8.self)), value.isFinite else { return nil }
        return value
    }
}
