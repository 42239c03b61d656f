import MicroHTTP
import NNCore

extension ServiceApp {
    /// `GET /v1/models/{id}/export?format=onnx[&epoch=N]`: the model (or its checkpoint at
    /// epoch N) as an ONNX file that answers what predict answers.
    func addExportRoute(_ router: inout HTTPRouter) {
        router.get(
            "/v1/models/{id}/export",
            handle { [self] request in
                let format = request.queryValue("format") ?? "onnx"
                guard format == "onnx" else {
                    throw ServiceError(
                        400, "invalid_query", "format '\(format)' is not offered; use format=onnx", path: "format")
                }
                let record = try model(request)
                let epoch = try request.optionalIntQuery("epoch")
                let network = try Network(spec: record.spec, seed: 0)
                try network.loadWeights(try SafetensorsFile(bytes: try storedWeights(record, epoch: epoch)))
                let graph = try ONNXExport.graph(of: network, loss: record.loss)
                var headers = HTTPHeaders()
                headers.set("Content-Type", "application/octet-stream")
                headers.set("Content-Disposition", "attachment; filename=\"\(record.id).onnx\"")
                return HTTPResponse(status: .ok, headers: headers, body: graph.modelBytes(producerVersion: "1"))
            })
    }
}
