import MicroHTTP
import NNCore

extension ServiceApp {
    /// `POST /v1/models/{id}/predict`: rows as for data sets; answers outputs nested to the
    /// output shape and, for classifiers, the predicted classes. The body is parsed straight
    /// into float32 rows and the answer written as text, with no intermediate objects.
    func predict(_ request: HTTPRequest) throws -> HTTPResponse {
        let record = try models.record(request.pathParameter("id"))
        let epoch = try request.optionalIntQuery("epoch")
        let body = try request.jsonBody()
        guard let members = body.objectMembers else {
            throw ServiceError.invalid("the body must be {\"inputs\": [row, ...]}", path: nil)
        }
        if let unknown = members.first(where: { $0.0 != "inputs" }) {
            throw ServiceError.invalid(
                "unknown field '\(unknown.0)'; send {\"inputs\": [row, ...]}", path: unknown.0, code: "unknown_field")
        }
        guard let rows = body["inputs"]?.arrayValue, !rows.isEmpty else {
            throw ServiceError.invalid("'inputs' must be a non-empty array of rows", path: "inputs")
        }
        guard rows.count <= 100_000 else {
            throw ServiceError.invalid("at most 100000 rows per request; split the request", path: "inputs")
        }
        let inputShape = record.spec.inputShape
        let reader = RowReader(shape: inputShape)
        try checkPredictMemory(record, rows: rows.count)
        let claimed = try CheckedSize.product(
            [rows.count, reader.width], limit: CheckedSize.maxValues, path: "inputs", what: "rows × model input width")
        var scalars: [Float] = []
        scalars.reserveCapacity(CheckedSize.reservation(claimed: claimed, bodyBytes: request.body.count))
        for (index, row) in rows.enumerated() { try reader.append(row, path: "inputs[\(index)]", to: &scalars) }
        try record.spec.checkTokens(scalars, path: { "inputs[\($0)][\($1)]" })
        let input = Tensor(shape: [rows.count] + inputShape, scalars: scalars)
        let outputs = try models.withNetwork(record, epoch: epoch) { network in
            network.predict(input, loss: record.loss, threads: options.threadsPerPrediction)
        }
        return .json(.ok, PredictionWriter.write(outputs, loss: record.loss))
    }
}

/// Writes `{"outputs": [...], "classes": [...]}` directly as JSON text.
enum PredictionWriter {
    static func write(_ outputs: Tensor, loss: LossFunction?) -> [UInt8] {
        let sampleShape = Array(outputs.shape.dropFirst())
        let width = outputs.sampleSize
        var text = "{\"outputs\":["
        text.reserveCapacity(outputs.count * 12 + 64)
        for row in 0..<outputs.batchSize {
            if row > 0 { text += "," }
            appendNested(outputs.scalars, offset: row * width, shape: sampleShape, to: &text)
        }
        text += "]"
        if let loss, loss != .mse {
            text += ",\"classes\":["
            for row in 0..<outputs.batchSize {
                if row > 0 { text += "," }
                let base = row * width
                if loss == .crossEntropy {
                    // Per-step outputs [T, C] give one class per step.
                    let classes = sampleShape.last ?? 1, steps = width / max(classes, 1)
                    let best = (0..<steps).map { step in
                        let first = base + step * classes
                        var best = 0
                        for j in 1..<max(classes, 1) where outputs.scalars[first + j] > outputs.scalars[first + best] {
                            best = j
                        }
                        return String(best)
                    }
                    text += sampleShape.count <= 1 ? best[0] : "[" + best.joined(separator: ",") + "]"
                } else if width == 1 {
                    text += outputs.scalars[base] > 0.5 ? "1" : "0"
                } else {
                    // One 0/1 per output, nested as the outputs are (per step for [T, k]).
                    appendNested(outputs.scalars, offset: base, shape: sampleShape, to: &text) { $0 > 0.5 ? "1" : "0" }
                }
            }
            text += "]"
        }
        text += "}"
        return Array(text.utf8)
    }

    private static func appendNested(
        _ values: [Float], offset: Int, shape: [Int], to text: inout String,
        format: (Float) -> String = { $0.isFinite ? $0.description : "null" }
    ) {
        guard let first = shape.first else {
            text += format(values[offset])
            return
        }
        let stride = shape.dropFirst().reduce(1, *)
        text += "["
        for i in 0..<first {
            if i > 0 { text += "," }
            appendNested(
                values, offset: offset + i * stride, shape: Array(shape.dropFirst()), to: &text, format: format)
        }
        text += "]"
    }
}
