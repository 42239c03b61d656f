import MicroHTTP
import NNCore

extension ServiceApp {
    func addDatasetRoutes(_ router: inout HTTPRouter) {
        router.post(
            "/v1/datasets",
            handle { [store] request in
                let type = request.headers["Content-Type"]?.lowercased() ?? ""
                // The query's `task` is read for CSV only, but a wrong value is refused for
                // either format, so that a typo is never silently ignored.
                if let task = request.queryValue("task"), task != "classification", task != "regression" {
                    throw ServiceError.invalid("task must be classification or regression", path: "task")
                }
                if let shape = request.queryValue("input_shape"),
                    shape.split(separator: ",", omittingEmptySubsequences: false).contains(where: {
                        $0.isEmpty || $0.first == "0" || !$0.allSatisfy({ $0.isASCII && $0.isNumber })
                    })
                {
                    throw ServiceError(
                        400, "invalid_query",
                        "input_shape must be positive integers separated by commas, such as 8,8,1", path: "input_shape")
                }
                for key in ["name", "target"] {
                    if let value = request.queryValue(key), value.isEmpty || value.count > 256 {
                        throw ServiceError(
                            400, "invalid_query", "\(key) must be 1 to 256 characters; leave it out for its default",
                            path: key)
                    }
                }
                let upload: DatasetUpload
                if type.hasPrefix("text/csv") {
                    upload = try CSVDatasetParser.parse(request)
                } else if type.hasPrefix("application/json") {
                    upload = try DatasetParser.parseJSON(try request.jsonBody())
                } else {
                    throw ServiceError(
                        415, "unsupported_media_type",
                        "send the data set as application/json or text/csv (got '\(type)')")
                }
                let record = try store.insertDataset(upload)
                var headers = HTTPHeaders()
                headers.set("Location", "/v1/datasets/\(record.id)")
                return try Self.reply(record.description, status: .created, headers: headers)
            })
        router.get(
            "/v1/datasets",
            handle { [store] request in
                let page = try request.page()
                let items = try store.datasets(limit: page.limit, after: page.after).map(\.description)
                return try Self.reply(ListPage(items: items, limit: page.limit, id: \.id))
            })
        router.get(
            "/v1/datasets/{id}",
            handle { [store] request in
                let id = request.pathParameter("id")
                guard let record = try store.dataset(id) else { throw ServiceError.notFound("dataset", id) }
                return try Self.reply(record.description)
            })
        router.delete(
            "/v1/datasets/{id}",
            handle { [store] request in
                try store.deleteDataset(request.pathParameter("id"))
                return .noContent()
            })
    }
}

/// A CSV upload: a header row, then one row per sample; query parameters `name`, `target`
/// (default the last column), `input_shape` (comma-separated), `drop` (columns to ignore)
/// and `task`. Errors name the first offending row and column.
enum CSVDatasetParser {
    static func parse(_ request: HTTPRequest) throws -> DatasetUpload {
        let drop = Set((request.queryValue("drop") ?? "").split(separator: ",").map { String($0) })
        guard let text = String(validating: request.body, as: UTF8.self) else {
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
        let targetName = request.queryValue("target") ?? table.header.last { !drop.contains($0) } ?? ""
        guard let targetColumn = table.columnIndex(targetName), !drop.contains(targetName) else {
            throw ServiceError.invalid(
                "target column '\(targetName)' is not in the header \(table.header)", path: "target")
        }
        let features = table.header.indices.filter { $0 != targetColumn && !drop.contains(table.header[$0]) }
        guard !features.isEmpty else { throw ServiceError.invalid("the CSV has no feature columns", path: nil) }
        var shape = [features.count]
        if let text = request.queryValue("input_shape") {
            let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ServiceError.invalid(
                    "input_shape must be 1 to 3 positive integers separated by commas", path: "input_shape")
            }
            shape = parts.map { $0! }
            guard shape.reduce(1, *) == features.count else {
                throw ServiceError.invalid(
                    "input_shape \(shape) needs \(shape.reduce(1, *)) feature columns; the CSV has \(features.count)",
                    path: "input_shape")
            }
        }
        let task = request.queryValue("task")
        guard task == nil || task == "classification" || task == "regression" else {
            throw ServiceError.invalid("task must be classification or regression", path: "task")
        }
        var inputs: [Float] = []
        inputs.reserveCapacity(table.rows.count * features.count)
        for row in table.rows { for column in features { inputs.append(row[column]) } }
        let targets = table.rows.map { $0[targetColumn] }
        let integral = targets.allSatisfy { $0 >= 0 && $0.rounded() == $0 && $0 < 1_000_000 }
        let (values, target) = try TargetReader.classify(targets, integral: integral, task: task, path: "rows")
        return DatasetUpload(
            name: request.queryValue("name") ?? "dataset", inputShape: shape, inputs: inputs,
            targets: values, target: target)
    }
}
