/// Output shapes and trainable parameter counts per layer (PyTorch's counts), with the
/// checks that a layer fits what feeds it.
enum ShapeInference {
    static func infer(_ layer: LayerSpec, input: [Int], next: LayerSpec?) throws -> (shape: [Int], params: Int) {
        let size = input.reduce(1, *)
        switch layer {
        case let .dense(units, _, useBias):
            // On [steps, features] a dense layer acts on every step (as PyTorch's nn.Linear does).
            guard input.count <= 2 else {
                throw SpecError(
                    code: "shape_mismatch", path: "type",
                    "a dense layer needs a flat input or [steps, features] but receives \(input); add a {\"type\": \"flatten\"} layer before it"
                )
            }
            let features = Double(input[input.count - 1])
            return (
                input.dropLast() + [units], try checkedParams(features * Double(units) + (useBias ? Double(units) : 0))
            )
        case let .conv2d(filters, kernel, stride, padding, _, useBias):
            let (h, w, c) = try image(input, layer: "conv2d")
            let outH: Int, outW: Int
            if padding == .same {
                outH = (h + stride.height - 1) / stride.height
                outW = (w + stride.width - 1) / stride.width
            } else {
                guard kernel.height <= h, kernel.width <= w else {
                    throw SpecError(
                        code: "shape_mismatch", path: "kernel_size",
                        "kernel \(kernel.height)x\(kernel.width) is larger than the \(h)x\(w) input; use padding 'same' or a smaller kernel"
                    )
                }
                outH = (h - kernel.height) / stride.height + 1
                outW = (w - kernel.width) / stride.width + 1
            }
            return (
                [outH, outW, filters],
                try checkedParams(
                    Double(filters) * (Double(kernel.height) * Double(kernel.width) * Double(c) + (useBias ? 1 : 0)))
            )
        case let .maxpool2d(pool, stride), let .avgpool2d(pool, stride):
            let (h, w, c) = try image(input, layer: layer.typeName)
            guard pool.height <= h, pool.width <= w else {
                throw SpecError(
                    code: "shape_mismatch", path: "pool_size",
                    "pool \(pool.height)x\(pool.width) is larger than its \(h)x\(w) input; use a smaller pool_size or remove the layer"
                )
            }
            return ([(h - pool.height) / stride.height + 1, (w - pool.width) / stride.width + 1, c], 0)
        case .flatten:
            return ([size], 0)
        case .dropout, .activation:
            return (input, 0)
        case .batchnorm:
            return (input, 2 * input[input.count - 1])
        case let .rnn(units, _, returnSequences), let .lstm(units, returnSequences):
            // Decoding already rejects this; a spec built in code must not reach the layer's precondition.
            guard units >= 1 else {
                throw SpecError(path: "units", "'units' must be at least 1, got \(units)")
            }
            guard input.count == 2 else {
                throw SpecError(
                    code: "shape_mismatch", path: "type",
                    "a recurrent layer needs a [steps, features] input but receives \(input)")
            }
            if case .some(.rnn) = next, !returnSequences {
                throw SpecError(
                    code: "shape_mismatch", path: "return_sequences",
                    "a recurrent layer followed by another needs \"return_sequences\": true")
            }
            if case .some(.lstm) = next, !returnSequences {
                throw SpecError(
                    code: "shape_mismatch", path: "return_sequences",
                    "a recurrent layer followed by another needs \"return_sequences\": true")
            }
            let gates = layer.typeName == "lstm" ? 4 : 1
            let params = Double(gates) * Double(units) * (Double(input[1]) + Double(units) + 2)
            return (returnSequences ? [input[0], units] : [units], try checkedParams(params))
        case .embedding, .conv1d, .maxpool1d, .avgpool1d, .globalAvgpool:
            return try inferSequence(layer, input: input)
        case .add, .concatenate:
            return try merge(layer, inputs: [input])
        }
    }

    private static func image(_ input: [Int], layer: String) throws -> (Int, Int, Int) {
        guard input.count == 3 else {
            throw SpecError(
                code: "shape_mismatch", path: "type",
                "a \(layer) layer needs an image input [height, width, channels] but receives \(input)")
        }
        return (input[0], input[1], input[2])
    }

    /// The service caps parameter counts separately; this only guards against absurd sizes.
    /// Counted in Double so that absurd sizes are reported, never overflow.
    static func checkedParams(_ count: Double) throws -> Int {
        guard count <= Double(1 << 31) else {
            throw SpecError(
                code: "too_large", path: "type",
                "this layer would have \(Int64(min(count, 9e18))) parameters (the limit is 2^31); make it smaller")
        }
        return Int(count)
    }
}
