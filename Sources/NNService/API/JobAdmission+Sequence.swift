import NNCore

extension ServiceApp {
    /// The checks at submission that need a data set's values, not just its description: token
    /// ids for a model that starts with an embedding (the inputs column), and class indices for
    /// per-step cross-entropy (the targets column). Each reads only the column it needs, and
    /// only for such models, as the 0/1 check of binary cross-entropy does.
    func checkSequenceValues(
        spec: ModelSpec, outputShape output: [Int], loss: LossFunction, record: DatasetRecord, path: String
    ) throws {
        let source = "data set \(record.id): "
        if spec.tokenVocabulary != nil, let inputs = try store.datasetColumn(record.id, .inputs) {
            try spec.checkTokens(inputs, path: { _, _ in path }, source: source)
        }
        guard loss == .crossEntropy, output.count == 2, case .values(let shape) = record.target, shape == [output[0]],
            let targets = try store.datasetColumn(record.id, .targets)
        else { return }
        let invalid = targets.withUnsafeBufferPointer {
            Trainer.firstInvalidStepClass($0, steps: output[0], classes: output[1])
        }
        if let (row, column, value) = invalid {
            throw ServiceError.invalid(
                Trainer.stepClassMessage(row: row, column: column, value: value, classes: output[1], source: source),
                path: path, code: "invalid_target")
        }
    }
}
