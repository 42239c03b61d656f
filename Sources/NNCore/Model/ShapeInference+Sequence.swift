/// Shapes and parameter counts of the token and sequence layers (PyTorch's `nn.Embedding`,
/// `nn.Conv1d`, `nn.MaxPool1d`, `nn.AvgPool1d` and an adaptive average pool to 1).
extension ShapeInference {
    static func inferSequence(_ layer: LayerSpec, input: [Int]) throws -> (shape: [Int], params: Int) {
        switch layer {
        case let .embedding(inputDim, outputDim):
            guard input.count == 1 else {
                throw SpecError(
                    code: "shape_mismatch", path: "type",
                    "an embedding layer needs token ids [steps] as its input but receives \(input)")
            }
            // Both sizes are capped when decoded; their product is checked before anything is allocated.
            let (params, overflow) = inputDim.multipliedReportingOverflow(by: outputDim)
            guard !overflow, params <= 1 << 31 else {
                throw SpecError(
                    code: "too_large", path: "input_dim",
                    "input_dim × output_dim = \(inputDim) × \(outputDim) parameters is over the limit of 2^31; use a smaller vocabulary (input_dim) or output_dim"
                )
            }
            return ([input[0], outputDim], params)
        case let .conv1d(filters, kernel, stride, padding, _):
            let (steps, channels) = try sequence(input, layer: "conv1d")
            let outSteps: Int
            if padding == .same {
                outSteps = (steps + stride - 1) / stride
            } else {
                guard kernel <= steps else {
                    throw SpecError(
                        code: "shape_mismatch", path: "kernel_size",
                        "kernel_size \(kernel) is longer than the \(steps) steps of the input; use padding 'same' or a smaller kernel"
                    )
                }
                outSteps = (steps - kernel) / stride + 1
            }
            return ([outSteps, filters], try checkedParams(Double(filters) * (Double(kernel) * Double(channels) + 1)))
        case let .maxpool1d(pool, stride), let .avgpool1d(pool, stride):
            let (steps, channels) = try sequence(input, layer: layer.typeName)
            guard pool <= steps else {
                throw SpecError(
                    code: "shape_mismatch", path: "pool_size",
                    "pool_size \(pool) is longer than the \(steps) steps of the input; use a smaller pool_size or remove the layer"
                )
            }
            return ([(steps - pool) / stride + 1, channels], 0)
        default:
            guard input.count == 2 || input.count == 3 else {
                throw SpecError(
                    code: "shape_mismatch", path: "type",
                    "a global_avgpool layer needs [steps, channels] or [height, width, channels] but receives \(input)")
            }
            return ([input[input.count - 1]], 0)
        }
    }

    private static func sequence(_ input: [Int], layer: String) throws -> (Int, Int) {
        guard input.count == 2 else {
            throw SpecError(
                code: "shape_mismatch", path: "type",
                "a \(layer) layer needs a sequence input [steps, channels] but receives \(input)")
        }
        return (input[0], input[1])
    }
}
