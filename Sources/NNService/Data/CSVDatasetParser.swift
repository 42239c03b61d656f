import NNCore

/// A CSV upload: a header row, then one row per sample, read as the query (`DatasetQuery`:
/// name, target column, input shape, columns to drop, task) says. Errors name the first offending row and column.
enum CSVDatasetParser {
    static func parse(_ body: [UInt8], query: DatasetQuery) throws -> DatasetUpload {
        let drop = query.drop
        guard let text = String(validating: body, as: UTF8.self) else {
            throw ServiceError(400, "malformed_csv", "the CSV body is not valid UTF-8")
        }
        let table: NumericTable
        do {
            table = try NumericTable(csv: text, textColumns: drop)
        } catch let error as NumericTable.ParseError {
            throw ServiceError.invalid(
                "row \(error.row), column \(error.column + 1)\(error.columnName.isEmpty ? "" : " ('\(error.columnName)')"): \(error.message)",
                path: nil, code: "invalid_csv")
        }
        guard !table.rows.isEmpty else {
            throw ServiceError.invalid("the CSV has a header but no data rows", path: nil, code: "empty_dataset")
        }
        for name in drop where table.columnIndex(name) == nil {
            throw ServiceError.invalid("drop names a column '\(name)' that the header lacks", path: "drop")
        }
        let targetName = query.target ?? table.header.last { !drop.contains($0) } ?? ""
        guard let targetColumn = table.columnIndex(targetName), !drop.contains(targetName) else {
            throw ServiceError.invalid(
                "target column '\(targetName)' is not in the header \(table.header)", path: "target")
        }
        let features = table.header.indices.filter { $0 != targetColumn && !drop.contains(table.header[$0]) }
        guard !features.isEmpty else { throw ServiceError.invalid("the CSV has no feature columns", path: nil) }
        var shape = [features.count]
        if let given = query.inputShape {
            let width = try CheckedSize.sampleWidth(given, path: "input_shape")
            guard width == features.count else {
                throw ServiceError.invalid(
                    "input_shape \(given) needs \(width) feature columns; the CSV has \(features.count)",
                    path: "input_shape")
            }
            shape = given
        }
        var inputs: [Float] = []
        inputs.reserveCapacity(
            try CheckedSize.product(
                [table.rows.count, features.count], limit: CheckedSize.maxValues, path: "rows", what: "rows × columns"))
        for row in table.rows { for column in features { inputs.append(row[column]) } }
        let targets = table.rows.map { $0[targetColumn] }
        let integral = targets.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1_000_000 }
        let (values, target) = try TargetReader.classify(targets, integral: integral, task: query.task, path: "rows")
        return DatasetUpload(
            name: query.name ?? "dataset", inputShape: shape, inputs: inputs,
            targets: values, target: target)
    }
}
