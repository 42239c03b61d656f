/// Global and per-layer L2 norms of the gradients, accumulated in Double in parameter order
/// (so they do not depend on the thread count), and scaling for clipping by global norm
/// (as `torch.nn.utils.clip_grad_norm_`).
enum GradientNorms {
    static func measure(_ network: Network) -> (global: Double, perLayer: [String: Double]) {
        var squares: [Int: Double] = [:]
        var total = 0.0
        for (layer, index) in zip(network.layers, network.specIndex) {
            for parameter in layer.parameters where parameter.trainable {
                let square = parameter.gradient.squaredNorm
                squares[index, default: 0] += square
                total += square
            }
        }
        var perLayer: [String: Double] = [:]
        for (index, square) in squares { perLayer["layers.\(network.graph.names[index])"] = square.squareRoot() }
        return (total.squareRoot(), perLayer)
    }

    static func scale(_ parameters: [Parameter], by factor: Float) {
        for parameter in parameters {
            parameter.gradient.scalars.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= factor }
            }
        }
    }
}
