/// A network's layers rearranged for inference: each conv2d with the batch norm, max pool and
/// ReLU after it becomes one `FusedConvolution`, each dense layer becomes a `FusedDense` (its
/// weight packed once, the activation after it applied in its own output buffer), dense
/// layers that follow one another run as one `DenseChain`, and the other layers run as they
/// are (inference mode).
///
/// Intermediate outputs go into buffers kept here and reused by the next prediction of the
/// same batch size, so a prediction allocates only the tensor it returns (and what unfused
/// layers allocate). A plan is not reentrant: the service lends each network to one request
/// at a time (`ModelCache`). It records the version of every parameter it folded and is
/// rebuilt when one of them changes (training, loaded weights).
final class InferencePlan {
    enum Step {
        case convolution(FusedConvolution)
        case dense(DenseChain)
        case layer(Layer)
    }

    let steps: [Step]
    /// How many of the network's layers the plan covers (the last activation may be left out).
    let end: Int
    private let folded: [Parameter]
    private let versions: [UInt64]
    /// One per step, lent to the step's output and taken back once the next step has read it.
    private var buffers: [[Float]]

    init(layers: [Layer], end: Int) {
        var steps: [Step] = [], folded: [Parameter] = []
        var i = 0
        func next<T>(_ type: T.Type) -> T? {
            guard i < end, let layer = layers[i] as? T else { return nil }
            i += 1
            return layer
        }
        func nextRelu() -> Bool {
            guard i < end, let activation = layers[i] as? ActivationLayer, activation.function == .relu else {
                return false
            }
            i += 1
            return true
        }
        // Dense layers that follow one another join one chain.
        func appendDense(_ dense: FusedDense) {
            if case .dense(let chain) = steps.last {
                steps[steps.count - 1] = .dense(DenseChain(chain.layers + [dense]))
            } else {
                steps.append(.dense(DenseChain([dense])))
            }
        }
        while i < end {
            let layer = layers[i]
            i += 1
            if let conv = layer as? Conv2DLayer {
                let batchNorm = next(BatchNormLayer.self)
                // ReLU and max pool commute exactly, so either order fuses.
                var relu = nextRelu()
                let pool = next(MaxPool2DLayer.self)
                if !relu && pool != nil { relu = nextRelu() }
                steps.append(.convolution(FusedConvolution(conv: conv, batchNorm: batchNorm, pool: pool, relu: relu)))
                folded += conv.parameters + (batchNorm?.parameters ?? [])
            } else if let dense = layer as? DenseLayer {
                let activation = next(ActivationLayer.self)
                // Softmax is a row operation; it stays its own layer.
                if let activation, activation.function != .softmax {
                    appendDense(FusedDense(dense: dense, activation: activation.function))
                } else {
                    appendDense(FusedDense(dense: dense, activation: .linear))
                    if let activation { steps.append(.layer(activation)) }
                }
                folded += dense.parameters
            } else {
                steps.append(.layer(layer))
            }
        }
        self.steps = steps
        self.end = end
        self.folded = folded
        versions = folded.map(\.version)
        buffers = Array(repeating: [], count: steps.count)
    }

    /// True while none of the folded parameters changed since the plan was built.
    func isCurrent(end: Int) -> Bool {
        end == self.end && zip(folded, versions).allSatisfy { $0.version == $1 }
    }

    /// The network's output for `input`, as `Network.forward` in inference mode gives it (up to
    /// the rounding of the folded batch norms).
    func run(_ input: Tensor, threads: Int) -> Tensor {
        var x = input
        var lent: Int? = nil
        for (index, step) in steps.enumerated() {
            var y: Tensor
            switch step {
            case .layer(let layer):
                var context = PassContext(training: false, threads: threads)
                y = layer.forward(x, &context)
            case .convolution(let convolution):
                let g = convolution.geometry
                precondition(
                    x.rank == 4 && Array(x.shape.dropFirst()) == [g.inputHeight, g.inputWidth, g.inputChannels],
                    "conv2d expects [N, \(g.inputHeight), \(g.inputWidth), \(g.inputChannels)], got \(x.shape)")
                y = borrow(index, shape: convolution.outputShape(batch: x.batchSize))
                guard x.batchSize > 0 else { break }
                x.scalars.withUnsafeBufferPointer { source in
                    y.scalars.withUnsafeMutableBufferPointer { target in
                        convolution.forward(
                            x: source.baseAddress!, batch: x.batchSize, y: target.baseAddress!, threads: threads)
                    }
                }
            case .dense(let dense):
                y = borrow(index, shape: dense.outputShape(x.shape))
                dense.forward(x, into: &y, threads: threads)
            }
            if let lent { buffers[lent] = x.scalars }
            lent = index == steps.count - 1 || y.count == 0 ? nil : Self.owns(step) ? index : nil
            x = y
        }
        return x
    }

    private static func owns(_ step: Step) -> Bool {
        if case .layer = step { return false }
        return true
    }

    /// The step's buffer as a tensor of `shape`, the plan keeping no reference meanwhile (so
    /// writing it does not copy).
    private func borrow(_ index: Int, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        var scalars = buffers[index]
        buffers[index] = []
        if scalars.count != count { scalars = [Float](unsafeUninitializedCapacity: count) { $1 = count } }
        return Tensor(shape: shape, scalars: scalars)
    }
}
