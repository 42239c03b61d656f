/// The token and sequence layers in ONNX (opset 17): an embedding is a Gather of the table's
/// rows by the ids cast to int64; conv1d and the 1-D pools run channels-first between two
/// Transposes, as the 2-D ones do; global_avgpool is a ReduceMean over the positions of the
/// channels-last data; a dense layer on `[steps, features]` is a MatMul with Wᵀ plus the bias
/// (ONNX's Gemm takes matrices only).
extension ONNXExport {
    /// ONNX's TensorProto.DataType for int64 (onnx.proto, `INT64 = 7`).
    private static let int64Type = 7

    mutating func sequenceLayer(_ layer: LayerSpec, index: Int, input x: String, shape: [Int]) -> String {
        switch layer {
        case .embedding:
            let ids = node("Cast", [x], [.int("to", Self.int64Type)])
            return node("Gather", [parameter(index, "weight"), ids], [.int("axis", 0)])
        case let .conv1d(_, kernel, stride, padding, _):
            let g = ConvGeometry(
                height: 1, width: shape[0], channels: shape[1], filters: 1, kernel: IntPair(1, kernel),
                stride: IntPair(1, stride), padding: padding)
            let total = padding == .same ? max((g.outputWidth - 1) * stride + kernel - shape[0], 0) : 0
            let w = parameter(index, "weight"), b = parameter(index, "bias")
            return stepsLast(x) { export, ncl in
                export.node(
                    "Conv", [ncl, w, b],
                    [
                        .ints("kernel_shape", [kernel]), .ints("strides", [stride]),
                        .ints("pads", [g.padLeft, total - g.padLeft]),
                    ])
            }
        case let .maxpool1d(pool, stride), let .avgpool1d(pool, stride):
            let op = layer.typeName == "maxpool1d" ? "MaxPool" : "AveragePool"
            return stepsLast(x) { export, ncl in
                export.node(op, [ncl], [.ints("kernel_shape", [pool]), .ints("strides", [stride])])
            }
        default:
            let axes = Array(1..<shape.count)
            return node("ReduceMean", [x], [.ints("axes", axes), .int("keepdims", 0)])
        }
    }

    /// y = x · Wᵀ + b on every step of `[N, T, F]`.
    mutating func perStepDense(index: Int, input x: String, useBias: Bool) -> String {
        let w = weight(index, "weight")
        let (rows, columns) = (w.shape[0], w.shape[1])
        var transposed = [Float](repeating: 0, count: w.count)
        for r in 0..<rows {
            for c in 0..<columns { transposed[c * rows + r] = w.scalars[r * columns + c] }
        }
        let product = node("MatMul", [x, constant("layers.\(index).weight_t", [columns, rows], transposed)])
        return useBias ? node("Add", [product, parameter(index, "bias")]) : product
    }

    /// `[N, T, C]` → `[N, C, T]` for `body`, and its result back.
    private mutating func stepsLast(_ x: String, _ body: (inout ONNXExport, String) -> String) -> String {
        let ncl = node("Transpose", [x], [.ints("perm", [0, 2, 1])])
        let y = body(&self, ncl)
        return node("Transpose", [y], [.ints("perm", [0, 2, 1])])
    }
}
