import MicroHTTP
import NNCore

extension ServiceApp {
    func addDatasetRoutes(_ router: inout HTTPRouter) {
        // The body streams into the parser as it arrives (`DatasetUploadConsumer`): an upload is
        // never held as text and as floats at once.
        router.add(
            .post, "/v1/datasets", body: { DatasetUploadConsumer($0) },
            handle { [store] request in
                guard let consumer = request.bodyConsumer as? DatasetUploadConsumer else {
                    throw ServiceError(500, "internal_error", "the upload was not read")
                }
                let record = try store.insertDataset(try consumer.takeUpload())
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
