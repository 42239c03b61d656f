extension Network {
    /// PyTorch's name for a parameter: `nn.RNN` and `nn.LSTM` suffix theirs with the layer
    /// number (`weight_ih_l0`); every other layer uses the parameter's own name.
    static func pytorchName(_ parameter: Parameter, of layer: Layer) -> String {
        layer is RNNLayer || layer is LSTMLayer ? parameter.name + "_l0" : parameter.name
    }

    /// The names of the batch-norm counters PyTorch saves (`layers.{name}.num_batches_tracked`).
    private var batchCounterNames: [String] {
        zip(layers, specIndex).compactMap { layer, index in
            layer is BatchNormLayer ? "layers.\(graph.names[index]).num_batches_tracked" : nil
        }
    }

    /// Every parameter and buffer under its PyTorch name (`layers.{name}.weight`, …), plus an
    /// I64 `num_batches_tracked` for each batch norm so that `load_state_dict(strict=True)`
    /// accepts the file. nnserve does not count batches (its running averages use a fixed
    /// momentum), so the counter is 0.
    public func exportWeights(metadata: [String: String] = [:]) -> SafetensorsFile {
        SafetensorsFile(
            tensors: namedParameters.map { ($0.name, $0.parameter.value) },
            integerTensors: batchCounterNames.map { ($0, [], [0]) }, metadata: metadata)
    }

    /// Loads weights: every tensor the model has must be present with its shape, and no
    /// other tensor may be; nothing changes unless all of them fit. Recurrent tensors may
    /// also carry the names without `_l0` that earlier nnserve versions wrote, and batch-norm
    /// `num_batches_tracked` counters are ignored.
    public func loadWeights(_ file: SafetensorsFile) throws {
        let expected = namedParameters
        let available = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var used = Set(batchCounterNames)
        var chosen: [Tensor] = []
        for (name, parameter) in expected {
            let legacy = name.hasSuffix("_l0") ? String(name.dropLast(3)) : nil
            guard
                let (foundName, tensor) = [name, legacy].compactMap({ $0 }).lazy
                    .compactMap({ candidate in available[candidate].map { (candidate, $0) } }).first
            else {
                throw SafetensorsError(
                    "tensor '\(name)' is missing; the model needs \(expected.map(\.name).joined(separator: ", "))")
            }
            guard tensor.shape == parameter.value.shape else {
                throw SafetensorsError(
                    "tensor '\(foundName)' has shape \(tensor.shape); the model needs \(parameter.value.shape)")
            }
            guard tensor.isFinite else {
                throw SafetensorsError("tensor '\(foundName)' holds NaN or infinite values")
            }
            used.insert(foundName)
            chosen.append(tensor)
        }
        let names = file.tensors.map(\.name) + file.integerTensors.map(\.name)
        if let extra = names.first(where: { !used.contains($0) && !$0.hasPrefix("optimizer.") }) {
            throw SafetensorsError("tensor '\(extra)' does not belong to this model")
        }
        for ((_, parameter), tensor) in zip(expected, chosen) { parameter.value = tensor }
    }
}
