/// Models whose input is token ids: an `embedding` first layer takes integers in
/// `[0, input_dim)`, and anything else in the input is refused before a pass (with the row and
/// column at fault) rather than read as a row that does not exist.
extension ModelSpec {
    /// The embedding's vocabulary size when the model reads token ids.
    public var tokenVocabulary: Int? {
        // Every embedding reads the model's input (`validate` checks it); in a graph there may
        // be several, and a token must fit the smallest table.
        layers.compactMap { layer -> Int? in
            if case let .embedding(inputDim, _) = layer { return inputDim }
            return nil
        }.min()
    }

    /// The first input value that is not a token id, as (row, column) of `[rows, steps]` inputs.
    public func firstInvalidToken(_ inputs: UnsafeBufferPointer<Float>) -> (row: Int, column: Int, value: Float)? {
        guard let vocabulary = tokenVocabulary,
            let index = EmbeddingLayer.firstInvalidToken(inputs, inputDim: vocabulary)
        else { return nil }
        let steps = max(inputShape.reduce(1, *), 1)
        return (index / steps, index % steps, inputs[index])
    }

    /// Throws a 422-kind error at `path(row, column)` for the first value that is not a token id.
    public func checkTokens(_ inputs: [Float], path: (Int, Int) -> String, source: String = "") throws {
        guard let vocabulary = tokenVocabulary,
            let (row, column, value) = inputs.withUnsafeBufferPointer({ firstInvalidToken($0) })
        else { return }
        throw SpecError(
            code: "invalid_token", path: path(row, column),
            "\(source)row \(row), column \(column) holds \(value), which is not a token id: the embedding layer takes integers from 0 to \(vocabulary - 1) (its input_dim is \(vocabulary))"
        )
    }
}
