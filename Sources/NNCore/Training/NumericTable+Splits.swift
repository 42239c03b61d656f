extension NumericTable {
    public struct SplitError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Classification data sets from a table with an integer `label` column and a text
    /// `split` column: the rows of each split value, every other column a feature (the
    /// layout of the real data sets the benchmark and tests read).
    public func classificationSplits(label: String = "label", split: String = "split") throws -> [String: Dataset] {
        guard let labelColumn = columnIndex(label), let splits = text[split] else {
            throw SplitError(description: "the table needs a numeric '\(label)' column and a text '\(split)' column")
        }
        let features = header.indices.filter { $0 != labelColumn && header[$0] != split }
        let classes = Int(rows.map { $0[labelColumn] }.max() ?? 0) + 1
        var result: [String: Dataset] = [:]
        for value in Set(splits) {
            let chosen = rows.indices.filter { splits[$0] == value }
            result[value] = Dataset(
                inputs: Tensor(
                    shape: [chosen.count, features.count],
                    scalars: chosen.flatMap { row in features.map { rows[row][$0] } }),
                targets: .classes(chosen.map { Int32(rows[$0][labelColumn]) }, count: classes))
        }
        return result
    }
}
