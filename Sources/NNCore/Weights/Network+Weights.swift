extension Network {
    /// Every parameter and buffer under its PyTorch name (`layers.{i}.weight`, …).
    public func exportWeights(metadata: [String: String] = [:]) -> SafetensorsFile {
        SafetensorsFile(tensors: namedParameters.map { ($0.name, $0.parameter.value) }, metadata: metadata)
    }

    /// Loads weights: every tensor the model has must be present with its shape, and no
    /// other tensor may be; nothing changes unless all of them fit.
    public func loadWeights(_ file: SafetensorsFile) throws {
        let expected = namedParameters
        let available = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for (name, parameter) in expected {
            guard let tensor = available[name] else {
                throw SafetensorsError(
                    "tensor '\(name)' is missing; the model needs \(expected.map(\.name).joined(separator: ", "))")
            }
            guard tensor.shape == parameter.value.shape else {
                throw SafetensorsError(
                    "tensor '\(name)' has shape \(tensor.shape); the model needs \(parameter.value.shape)")
            }
            guard tensor.isFinite else {
                throw SafetensorsError("tensor '\(name)' holds NaN or infinite values")
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = file.tensors.first(where: { !names.contains($0.name) && !$0.name.hasPrefix("optimizer.") }) {
            throw SafetensorsError("tensor '\(extra.name)' does not belong to this model")
        }
        for (name, parameter) in expected { parameter.value = available[name]! }
    }
}
