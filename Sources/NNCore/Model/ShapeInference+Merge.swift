extension ShapeInference {
    /// The output shape of a merge of `inputs` (each without the batch axis). `add` needs
    /// equal shapes, as PyTorch's `+` without broadcasting; `concatenate` joins along `axis`
    /// (negative counts from the end, as Keras' `Concatenate`) and needs every other axis
    /// equal. Neither has parameters. Errors name the first input that does not fit.
    static func merge(_ layer: LayerSpec, inputs: [[Int]]) throws -> (shape: [Int], params: Int) {
        guard inputs.count >= 2, let first = inputs.first else {
            throw SpecError(
                code: "invalid_graph", path: "inputs", "a \(layer.typeName) layer merges two or more layers")
        }
        switch layer {
        case .concatenate(let axis):
            guard axis >= -first.count, axis < first.count else {
                throw SpecError(
                    path: "axis",
                    "'axis' \(axis) does not exist in the inputs' shape \(first); use -1 (the last axis) to 0")
            }
            let joined = axis < 0 ? first.count + axis : axis
            var output = first
            for (position, shape) in inputs.enumerated().dropFirst() {
                var same = shape
                if same.count == first.count { same[joined] = first[joined] }
                guard same == first else {
                    throw SpecError(
                        code: "shape_mismatch", path: "inputs[\(position)]",
                        "concatenate needs inputs equal on every axis but \(axis): inputs[0] is \(first), inputs[\(position)] is \(shape)"
                    )
                }
                output[joined] += shape[joined]
            }
            guard
                output.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) <= ModelSpec.maxInputElements
            else {
                throw SpecError(
                    code: "too_large", path: "inputs",
                    "the concatenation has more than \(ModelSpec.maxInputElements) values per sample")
            }
            return (output, 0)
        default:
            for (position, shape) in inputs.enumerated().dropFirst() where shape != first {
                throw SpecError(
                    code: "shape_mismatch", path: "inputs[\(position)]",
                    "add needs inputs of one shape: inputs[0] is \(first), inputs[\(position)] is \(shape); project one branch (for example a 1x1 conv2d) to match"
                )
            }
            return (first, 0)
        }
    }
}
