import MicroHTTP
import NNCore

extension ServiceApp {
    func addDatasetRoutes(_ router: inout HTTPRouter) {
        router.post(
            "/v1/datasets",
            handle { [store] request in
                let type = request.headers["Content-Type"]?.lowercased() ?? ""
                let query = try DatasetQuery(request.queryValue)
                let upload: DatasetUpload
                if type.hasPrefix("text/csv") {
                    upload = try CSVDatasetParser.parse(request.body, query: query)
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
