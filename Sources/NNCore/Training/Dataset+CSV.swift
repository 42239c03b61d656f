/// A numeric table read from CSV text: a header row, then one row per sample. Cells must be
/// finite numbers, except in `textColumns` (kept as strings, e.g. a `split` column).
public struct NumericTable: Sendable {
    public var header: [String]
    /// Numeric cells per row, in header order; text columns hold 0 here.
    public var rows: [[Float]]
    public var text: [String: [String]]

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// 1-based data row (the header is row 0) and 0-based column, with its name.
        public var row: Int
        public var column: Int
        public var columnName: String
        public var message: String
        public var description: String { "row \(row), column \(column) ('\(columnName)'): \(message)" }
    }

    /// Parses CSV text split on commas (no quoted fields: a numeric table needs none).
    public init(csv: String, textColumns: Set<String> = []) throws {
        var lines = csv.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.trimmingWhitespace().isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw ParseError(
                row: 0, column: 0, columnName: "", message: "the CSV text is empty; send a header row and data rows")
        }
        header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.trimmingWhitespace())
        }
        rows = []
        text = [:]
        let textIndices = Set(header.indices.filter { textColumns.contains(header[$0]) })
        for (offset, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw ParseError(
                    row: offset + 1, column: min(cells.count, header.count - 1), columnName: "",
                    message: "expected \(header.count) cells as in the header, found \(cells.count)")
            }
            var values = [Float](repeating: 0, count: cells.count)
            for (column, cell) in cells.enumerated() {
                let trimmed = cell.trimmingWhitespace()
                if textIndices.contains(column) {
                    text[header[column], default: []].append(String(trimmed))
                    continue
                }
                guard let value = Float(trimmed), value.isFinite else {
                    throw ParseError(
                        row: offset + 1, column: column, columnName: header[column],
                        message: "'\(trimmed)' is not a finite number")
                }
                values[column] = value
            }
            rows.append(values)
        }
    }

    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
