import NNCore

#if canImport(Glibc)
import Glibc
#endif

/// A CSV upload: a header row, then one row per sample, read as the query (`DatasetQuery`:
/// name, target column, input shape, columns to drop, task) says. Errors name the first offending
/// row and column.
///
/// Read as the bytes arrive (`feed`, then `finish`), line by line, straight into the float
/// buffers that are stored. Lines end in LF or CRLF; cells are split on commas (no quoted fields:
/// a numeric table needs none) and trimmed of blanks, tabs and CRs; blank lines at the end are
/// ignored. The outcome is that of reading the whole body at once: a body that is not UTF-8 is a
/// 400 wherever the bad byte is, and the first bad cell wins over any check of the header.
struct CSVDatasetParser {
    let query: DatasetQuery
    private let expectedBytes: Int?
    /// The start of a line whose end has not arrived.
    private var pending: [UInt8] = []
    /// Blank lines not yet known to be followed by a row (then they are rows; at the end, not).
    private var blankLines = 0
    private var header: [String]?
    /// Data rows read so far (the header is row 0).
    private var rowCount = 0
    private var layout: CSVLayout?
    /// The first bad cell; only UTF-8 is checked after it.
    private var tableError: ServiceError?
    private var inputs: [Float] = []
    private var targets: [Float] = []
    private var cells: [Range<Int>] = []

    init(query: DatasetQuery, expectedBytes: Int? = nil) {
        self.query = query
        self.expectedBytes = expectedBytes
    }

    static func parse(_ body: [UInt8], query: DatasetQuery) throws -> DatasetUpload {
        var parser = CSVDatasetParser(query: query, expectedBytes: body.count)
        try body.withUnsafeBytes { try parser.feed($0) }
        return try parser.finish()
    }

    mutating func feed(_ raw: UnsafeRawBufferPointer) throws {
        let bytes = raw.bindMemory(to: UInt8.self)
        guard !bytes.isEmpty else { return }
        var start = 0
        while let end = Self.newline(in: bytes, from: start) {
            if pending.isEmpty {
                try line(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            } else {
                pending.append(contentsOf: bytes[start..<end])
                let whole = pending
                pending = []
                try whole.withUnsafeBufferPointer { try line($0) }
            }
            start = end + 1
        }
        pending.append(contentsOf: bytes[start...])
    }

    mutating func finish() throws -> DatasetUpload {
        if !pending.isEmpty {
            let last = pending
            pending = []
            try last.withUnsafeBufferPointer { try line($0) }
        }
        guard header != nil else {
            throw Self.tableError(row: 0, column: 0, name: "", "the CSV text is empty; send a header row and data rows")
        }
        if let tableError { throw tableError }
        guard rowCount > 0 else {
            throw ServiceError.invalid("the CSV has a header but no data rows", path: nil, code: "empty_dataset")
        }
        guard let layout else { throw ServiceError(500, "internal_error", "the CSV header was not read") }
        let (features, shape) = try layout.checked()
        _ = try CheckedSize.product(
            [rowCount, features], limit: CheckedSize.maxValues, path: "rows", what: "rows × columns")
        let integral = targets.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1_000_000 }
        let (values, target) = try TargetReader.classify(targets, integral: integral, task: query.task, path: "rows")
        return DatasetUpload(
            name: query.name ?? "dataset", inputShape: shape, inputs: inputs, targets: values, target: target)
    }

    private static func newline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let hit = memchr(base + start, 0x0A, bytes.count - start)
        else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// One line without its LF.
    private mutating func line(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        // UTF-8 is checked line by line: LF never occurs inside a multi-byte sequence.
        if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil {
            throw ServiceError(400, "malformed_csv", "the CSV body is not valid UTF-8")
        }
        if tableError != nil { return }
        if CSVCells.trimmed(bytes, 0, bytes.count).isEmpty {
            blankLines += 1
            return
        }
        // The blank lines before this one are rows (or the header) after all.
        while blankLines > 0 && tableError == nil {
            blankLines -= 1
            try record(UnsafeBufferPointer(start: bytes.baseAddress, count: 0))
        }
        if tableError == nil { try record(bytes) }
    }

    private mutating func record(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard header != nil else {
            CSVCells.split(bytes, into: &cells)
            let names = cells.map { String(decoding: bytes[$0], as: UTF8.self) }
            header = names
            let layout = CSVLayout(header: names, query: query)
            self.layout = layout
            if let expectedBytes, layout.error == nil {
                // Each numeric cell takes at least two bytes with its separator, so the length
                // bounds the rows; the buffers are reserved once and never regrown. Pages of the
                // reservation that are never written are never resident.
                let rows = expectedBytes / (2 * max(1, layout.numericColumns)) + 1
                inputs.reserveCapacity(CheckedSize.uploadReservation(rows * layout.features.count))
                targets.reserveCapacity(CheckedSize.uploadReservation(rows))
            }
            return
        }
        rowCount += 1
        guard let layout else { return }
        CSVCells.split(bytes, into: &cells)
        guard cells.count == layout.header.count else {
            tableError = Self.tableError(
                row: rowCount, column: min(cells.count, layout.header.count - 1), name: "",
                "expected \(layout.header.count) cells as in the header, found \(cells.count)")
            return
        }
        let stores = layout.error == nil
        let (floatsBefore, targetsBefore) = (inputs.count, targets.count)
        for (column, range) in cells.enumerated() where !layout.isText[column] {
            guard let value = CSVCells.float(bytes, range) else {
                let text = String(decoding: bytes[range], as: UTF8.self)
                tableError = Self.tableError(
                    row: rowCount, column: column, name: layout.header[column], "'\(text)' is not a finite number")
                if stores {
                    inputs.removeSubrange(floatsBefore...)
                    targets.removeSubrange(targetsBefore...)
                }
                return
            }
            guard stores else { continue }
            if column == layout.targetColumn {
                targets.append(value)
            } else {
                inputs.append(value)
            }
        }
    }

    static func tableError(row: Int, column: Int, name: String, _ message: String) -> ServiceError {
        ServiceError.invalid(
            "row \(row), column \(column + 1)\(name.isEmpty ? "" : " ('\(name)')"): \(message)", path: nil,
            code: "invalid_csv")
    }
}
