/// A simple recurrent layer, PyTorch's one-layer `nn.RNN(batch_first=True)`:
/// h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), h_0 = 0, act tanh or relu.
///
/// Shapes: x `[N, T, F]`; y `[N, T, H]` with `returnSequences`, else `[N, H]` (the last step).
/// Inside, work is time-major so that one step's rows are one contiguous GEMM operand:
/// xs `[T, N, F]`, states `[T + 1, N, H]` (slot 0 holds h_0 = 0; slot t holds h_t, first
/// the pre-activation, then h_t in place), gate gradients dz `[T, N, H]`.
/// Backward runs through the whole sequence; the weight gradients are then one GEMM each
/// over all T·N rows.
public final class RNNLayer: Layer {
    public let features: Int
    public let units: Int
    public let activation: ActivationFunction
    public let returnSequences: Bool
    public var needsInputGradient = true
    let weights: RecurrentParameters
    private let xs = FloatBuffer(), states = FloatBuffer(), dz = FloatBuffer()
    private let carry = FloatBuffer(), dxs = FloatBuffer()
    /// W_hh packed once per pass for the per-step products: as [H, H]ᵀ forward, [H, H] backward.
    let recurrentForward: PackedMatrix
    private let recurrentBackward: PackedMatrix
    /// W_ih as [F, H] and b_ih + b_hh, for the inference pass (`RNNLayer+Inference`).
    let inputForward: PackedMatrix
    let biasSum = FloatBuffer()
    private var batch = 0, steps = 0

    public init(
        features: Int, units: Int, activation: ActivationFunction, returnSequences: Bool,
        rng: inout SeededGenerator
    ) {
        precondition(activation == .tanh || activation == .relu, "rnn activation is tanh or relu")
        self.features = features
        self.units = units
        self.activation = activation
        self.returnSequences = returnSequences
        self.weights = RecurrentParameters(gates: 1, units: units, features: features, rng: &rng)
        recurrentForward = PackedMatrix(n: units, k: units)
        recurrentBackward = PackedMatrix(n: units, k: units)
        inputForward = PackedMatrix(n: units, k: features)
    }

    /// weight_ih, weight_hh, bias_ih, bias_hh (PyTorch's names, order and layouts).
    public var parameters: [Parameter] { weights.all }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(
            input.rank == 3 && input.shape[1] >= 1 && input.shape[2] == features,
            "rnn expects [N, T, \(features)], got \(input.shape)")
        if !context.training && input.shape[0] >= LSTMLayer.inferenceMinimumBatch {
            return inferenceForward(input, threads: context.threads)
        }
        let n = input.shape[0], t = input.shape[1], h = units
        batch = n
        steps = t
        let x = xs.reserve(t * n * features)
        input.scalars.withUnsafeBufferPointer {
            SequenceLayout.swapLeadingAxes($0.baseAddress!, x, a: n, b: t, inner: features)
        }
        let states = self.states.reserve((t + 1) * n * h)
        states.update(repeating: 0, count: n * h)
        weights.project(inputs: x, rows: t * n, into: states + n * h, threads: context.threads)
        let relu = activation == .relu
        let ranges = SequenceLayout.rowRanges(batch: n, threads: context.threads)
        let recurrent = recurrentForward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nt, b: $0.baseAddress!) }
        Parallel.forEach(chunks: ranges.count, threads: context.threads) { chunk in
            let rows = ranges[chunk]
            for step in 1...t {
                let z = states + (step * n + rows.lowerBound) * h
                if step > 1 { recurrent.multiply(a: z - n * h, m: rows.count, c: z, accumulate: true) }
                if relu {
                    VectorMath.apply(z, count: rows.count * h) { $0.replacing(with: 0, where: .!($0 .> 0)) }
                } else {
                    VectorMath.tanh(z, count: rows.count * h)
                }
            }
        }
        return SequenceLayout.output(states: states, batch: n, steps: t, units: h, returnSequences: returnSequences)
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let n = batch, t = steps, h = units
        precondition(gradOutput.count == (returnSequences ? n * t * h : n * h), "rnn gradient has the wrong size")
        let states = self.states.pointer
        let dz = self.dz.reserve(t * n * h)
        let carry = self.carry.reserveZeroed(n * h)
        let relu = activation == .relu, returnSequences = self.returnSequences
        let ranges = SequenceLayout.rowRanges(batch: n, threads: context.threads)
        let recurrent = recurrentBackward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nn, b: $0.baseAddress!) }
        gradOutput.scalars.withUnsafeBufferPointer { dyBuffer in
            let dy = dyBuffer.baseAddress!
            Parallel.forEach(chunks: ranges.count, threads: context.threads) { chunk in
                let rows = ranges[chunk]
                for step in stride(from: t, through: 1, by: -1) {
                    for row in rows {
                        // dh_t = carried dh from step t + 1 + this step's output gradient.
                        let d = dz + ((step - 1) * n + row) * h, c = carry + row * h
                        if returnSequences {
                            RecurrentMath.add(c, dy + (row * t + step - 1) * h, into: d, count: h)
                        } else if step == t {
                            RecurrentMath.add(c, dy + row * h, into: d, count: h)
                        } else {
                            d.update(from: c, count: h)
                        }
                        // Through the activation, expressed by its output h_t.
                        let y = states + (step * n + row) * h
                        if relu {
                            for j in 0..<h where !(y[j] > 0) { d[j] = 0 }
                        } else {
                            RecurrentMath.multiplyByTanhDerivative(d, output: y, count: h)
                        }
                    }
                    if step > 1 {
                        recurrent.multiply(
                            a: dz + ((step - 1) * n + rows.lowerBound) * h, m: rows.count,
                            c: carry + rows.lowerBound * h, accumulate: false)
                    }
                }
            }
        }
        weights.accumulateGradients(
            gateGradients: dz, inputs: xs.pointer, previousStates: states,
            rows: t * n, threads: context.threads)
        guard needsInputGradient else { return Tensor(zeros: [0]) }
        let dx = dxs.reserve(t * n * features)
        weights.inputGradient(gateGradients: dz, rows: t * n, into: dx, threads: context.threads)
        var gradInput = Tensor(zeros: [n, t, features])
        gradInput.scalars.withUnsafeMutableBufferPointer {
            SequenceLayout.swapLeadingAxes(dx, $0.baseAddress!, a: t, b: n, inner: features)
        }
        return gradInput
    }
}
