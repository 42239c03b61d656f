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
                    upload = try CSVDatasetParser.parse(request.body, query: request.queryValue)
                } else if type.hasPrefix("application/json") {
                    upload = try DatasetBodyParser.parse(request.body)
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
