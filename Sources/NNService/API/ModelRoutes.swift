import Foundation
import MicroHTTP
import NNCore

extension ServiceApp {
    func addModelRoutes(_ router: inout HTTPRouter) {
        router.post(
            "/v1/models",
            handle { [self] request in
                let record: ModelRecord
                if request.isOctetStream {
                    let upload = try WeightsFile.model(from: request.body)
                    try checkLimits(upload.spec, path: "__metadata__.\(WeightsFile.specKey)")
                    record = try store.createModel(
                        upload.spec, weights: upload.weights, loss: upload.loss, labels: Labels())
                } else if let keras = try request.kerasDocument() {
                    let spec = try KerasImport.spec(from: keras)
                    try checkLimits(spec, path: "config")
                    record = try store.createModel(spec)
                } else {
                    // `name` and `tags` sit beside the spec's own members; the spec is decoded
                    // without them so that its decoder still rejects every other unknown field.
                    let body = try request.jsonBody()
                    let labels = try Labels.from(body)
                    let specData =
                        body.objectMembers?.contains(where: { Labels.fields.contains($0.0) }) == true
                        ? try JSONEncoderBridge.data(from: request.body, removing: Labels.fields) : Data(request.body)
                    let spec = try JSONDecoder().decode(ModelSpec.self, from: specData)
                    try checkLimits(spec)
                    record = try store.createModel(spec, labels: labels)
                }
                var headers = HTTPHeaders()
                headers.set("Location", "/v1/models/\(record.id)")
                return try Self.reply(try record.description(), status: .created, headers: headers)
            })
        router.get(
            "/v1/models",
            handle { [store] request in
                let page = try store.models(query: try ListQuery(request, sortable: ListQuery.modelSortFields))
                return try Self.reply(ListPage(items: try page.items.map { try $0.description() }, next: page.next))
            })
        router.get(
            "/v1/models/{id}",
            handle { [self] request in
                try Self.reply(try model(request).description())
            })
        router.patch(
            "/v1/models/{id}",
            handle { [self] request in
                let record = try model(request)
                let patch = try LabelsPatch(try request.mergePatchBody())
                guard try store.updateLabels(.models, id: record.id, patch: patch) else {
                    throw ServiceError.notFound("model", record.id)
                }
                return try Self.reply(try model(request).description())
            })
        router.delete(
            "/v1/models/{id}",
            handle { [store] request in
                try store.deleteModel(request.pathParameter("id"))
                return .noContent()
            })
        router.get(
            "/v1/models/{id}/checkpoints",
            handle { [self] request in
                let record = try model(request)
                let items = try store.checkpoints(model: record.id)
                if let epoch = try request.optionalIntQuery("epoch") {
                    guard let match = items.first(where: { $0.epoch == epoch }) else {
                        throw ServiceError(404, "not_found", "model \(record.id) has no checkpoint at epoch \(epoch)")
                    }
                    return try Self.reply(match)
                }
                return try Self.reply(ListPage(items: items, limit: items.count + 1, id: { "\($0.epoch)" }))
            })
        router.delete(
            "/v1/models/{id}/checkpoints/{epoch}",
            handle { [store] request in
                let text = request.pathParameter("epoch")
                guard text.allSatisfy(\.isNumber), let epoch = Int(text) else {
                    throw ServiceError(
                        404, "not_found", "no checkpoint epoch '\(text.prefix(40))'; epochs are whole numbers from 1",
                        path: "epoch")
                }
                try store.deleteCheckpoint(model: request.pathParameter("id"), epoch: epoch)
                return .noContent()
            })
        router.get(
            "/v1/models/{id}/weights",
            handle { [self] request in
                let record = try model(request)
                let epoch = try request.optionalIntQuery("epoch")
                // A checkpoint also holds optimizer state; the download is the weights alone.
                let bytes = try WeightsFile.download(
                    try storedWeights(record, epoch: epoch), record: record, epoch: epoch)
                var headers = HTTPHeaders()
                headers.set("Content-Type", "application/octet-stream")
                headers.set("Content-Disposition", "attachment; filename=\"\(record.id).safetensors\"")
                return HTTPResponse(status: .ok, headers: headers, body: bytes)
            })
        router.put(
            "/v1/models/{id}/weights",
            handle { [self] request in
                let record = try model(request)
                let network = try Network(spec: record.spec, seed: 0)
                try network.loadWeights(try SafetensorsFile(bytes: request.body))
                try store.replaceWeights(record.id, bytes: network.exportWeights().encoded(), loss: nil)
                return try Self.reply(try model(request).description())
            })
        router.post("/v1/models/{id}/predict", handle { [self] request in try predict(request) })
        addExportRoute(&router)
    }

    /// The stored weights of a model, or of its checkpoint at `epoch`.
    func storedWeights(_ record: ModelRecord, epoch: Int?) throws -> [UInt8] {
        if let epoch {
            guard let state = try store.checkpointState(model: record.id, epoch: epoch) else {
                throw ServiceError(404, "not_found", "model \(record.id) has no checkpoint at epoch \(epoch)")
            }
            return state
        }
        guard let weights = try store.modelWeights(record.id) else {
            throw ServiceError.conflict("model \(record.id) has no weights yet; train it or upload weights")
        }
        return weights.bytes
    }

    func model(_ request: HTTPRequest) throws -> ModelRecord {
        let id = request.pathParameter("id")
        guard let record = try store.model(id) else { throw ServiceError.notFound("model", id) }
        return record
    }

    /// The limits an operator sets, checked before anything is stored or run.
    func checkLimits(_ spec: ModelSpec, path: String = "") throws {
        let summary = try spec.validate()
        let params = summary.reduce(0) { $0 + $1.params }
        guard params <= options.maxParameters else {
            // The path names the largest layer (an embedding's vocabulary, which sets its size).
            let largest = summary.max { $0.params < $1.params }!
            var layer = "layers[\(largest.index)]"
            if case .embedding = spec.layers[largest.index] { layer += ".input_dim" }
            throw ServiceError.invalid(
                "the model has \(params) parameters (\(largest.params) in its \(largest.type) layer \(largest.index)); this server allows at most \(options.maxParameters)",
                path: path.isEmpty ? layer : path + "." + layer, code: "too_large")
        }
    }
}
