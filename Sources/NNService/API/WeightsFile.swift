import Foundation
import MicroHTTP
import NNCore

/// Weights files that describe themselves: the safetensors `__metadata__` carries the model
/// spec (`nnserve.spec`, JSON) and the loss it was trained with (`nnserve.loss`), so that a
/// downloaded file is enough to create the model again elsewhere.
enum WeightsFile {
    static let specKey = "nnserve.spec"
    static let lossKey = "nnserve.loss"

    /// A download: the stored weights loaded into the model (which also renames tensors that
    /// earlier versions stored under other names) and written with the metadata.
    static func download(_ stored: [UInt8], record: ModelRecord, epoch: Int?) throws -> [UInt8] {
        let network = try Network(spec: record.spec, seed: 0)
        try network.loadWeights(try SafetensorsFile(bytes: stored))
        var metadata = [specKey: try specJSON(record.spec)]
        if let loss = record.loss { metadata[lossKey] = loss.rawValue }
        if let epoch { metadata["epoch"] = String(epoch) }
        return network.exportWeights(metadata: metadata).encoded()
    }

    static func specJSON(_ spec: ModelSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(spec), as: UTF8.self)
    }

    /// The model a self-describing upload creates: its spec and loss from the metadata, its
    /// weights checked against the spec. Every failure is a 422 naming where it is.
    static func model(from body: [UInt8]) throws -> (spec: ModelSpec, loss: LossFunction?, weights: [UInt8]) {
        let file = try SafetensorsFile(bytes: body)
        guard let specText = file.metadata[specKey] else {
            throw ServiceError.invalid(
                "the file's __metadata__ has no \"\(specKey)\"; download weights from nnserve (they carry the spec) "
                    + "or create the model from its JSON spec, then PUT the weights",
                path: "__metadata__.\(specKey)", code: "missing_field")
        }
        let spec: ModelSpec
        do {
            _ = try JSONParser.parse(Array(specText.utf8))
            spec = try JSONDecoder().decode(ModelSpec.self, from: Data(specText.utf8))
            _ = try spec.validate()
        } catch let error as SpecError {
            throw ServiceError.invalid(
                error.message, path: "__metadata__.\(specKey)" + (error.path.isEmpty ? "" : "." + error.path),
                code: error.code)
        } catch let error as DecodingError {
            let mapped = ServiceError.decodingError(error)
            throw ServiceError.invalid(
                mapped.message, path: "__metadata__.\(specKey)" + (mapped.path.map { "." + $0 } ?? ""),
                code: mapped.code)
        } catch {
            throw ServiceError.invalid(
                "\"\(specKey)\" is not a valid model spec (JSON): \(error)", path: "__metadata__.\(specKey)",
                code: "invalid_spec")
        }
        var loss: LossFunction?
        if let text = file.metadata[lossKey] {
            guard let parsed = LossFunction(rawValue: text) else {
                throw ServiceError.invalid(
                    "\"\(lossKey)\" is '\(text)'; use one of "
                        + LossFunction.allCases.map(\.rawValue).joined(separator: ", "),
                    path: "__metadata__.\(lossKey)")
            }
            loss = parsed
        }
        let network = try Network(spec: spec, seed: 0)
        do {
            try network.loadWeights(file)
        } catch let error as SafetensorsError {
            throw ServiceError.invalid(
                "the tensors do not fit the spec: \(error.message)", path: "tensors", code: "invalid_weights")
        }
        return (spec, loss, network.exportWeights().encoded())
    }
}
