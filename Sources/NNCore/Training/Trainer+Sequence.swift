extension Trainer {
    /// Cross-entropy on per-step outputs `[T, C]` reads value targets `[T]` as one class index
    /// per step; they must be integers in `[0, C)`. Token inputs are checked here too, so no
    /// pass ever meets a token id outside the embedding's table.
    static func stepClasses(_ data: Dataset, loss: LossFunction, network: Network) throws -> Dataset {
        try network.spec.checkTokens(data.inputs.scalars, path: { "inputs[\($0)][\($1)]" })
        let output = network.summary.last!.outputShape
        guard loss == .crossEntropy, output.count == 2, case let .values(values) = data.targets,
            values.shape == [data.count, output[0]]
        else { return data }
        let invalid = values.scalars.withUnsafeBufferPointer {
            firstInvalidStepClass($0, steps: output[0], classes: output[1])
        }
        if let (row, column, value) = invalid {
            throw SpecError(
                code: "invalid_target", path: "targets[\(row)][\(column)]",
                Self.stepClassMessage(row: row, column: column, value: value, classes: output[1]))
        }
        return Dataset(inputs: data.inputs, targets: .classes(values.scalars.map { Int32($0) }, count: output[1]))
    }

    /// The first per-step target that is not a class index in `[0, classes)`, as (row, step).
    public static func firstInvalidStepClass(
        _ targets: UnsafeBufferPointer<Float>, steps: Int, classes: Int
    ) -> (row: Int, column: Int, value: Float)? {
        guard let index = EmbeddingLayer.firstInvalidToken(targets, inputDim: classes) else { return nil }
        return (index / max(steps, 1), index % max(steps, 1), targets[index])
    }

    public static func stepClassMessage(
        row: Int, column: Int, value: Float, classes: Int, source: String = ""
    )
        -> String
    {
        "\(source)target row \(row), step \(column) is \(value), which is not a class index: the model outputs \(classes) classes per step, so targets must be integers from 0 to \(classes - 1)"
    }
}
