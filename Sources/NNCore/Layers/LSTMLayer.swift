/// A long short-term memory layer, PyTorch's one-layer `nn.LSTM(batch_first=True)`:
/// [i, f, g, o] = [σ, σ, tanh, σ](W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),
/// c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t), h_0 = c_0 = 0.
///
/// Shapes: x `[N, T, F]`; y `[N, T, H]` with `returnSequences`, else `[N, H]` (the last step).
/// Inside, work is time-major (one step's rows are one contiguous GEMM operand):
/// xs `[T, N, F]`; gates `[T, N, 4H]` (pre-activations, then i, f, g, o in place, kept for
/// backward); states and cells `[T + 1, N, H]` (slot 0 holds h_0 = c_0 = 0); tanhCells
/// `[T, N, H]`; gate gradients dz `[T, N, 4H]`.
public final class LSTMLayer: Layer {
    public let features: Int
    public let units: Int
    public let returnSequences: Bool
    public var needsInputGradient = true
    let weights: RecurrentParameters
    private let xs = FloatBuffer(), gates = FloatBuffer(), states = FloatBuffer(), cells = FloatBuffer()
    private let tanhCells = FloatBuffer(), dz = FloatBuffer(), carryH = FloatBuffer(), carryC = FloatBuffer()
    private let dxs = FloatBuffer()
    /// W_hh packed once per pass for the per-step products: as [H, 4H] forward, [4H, H] backward.
    let recurrentForward: PackedMatrix
    private let recurrentBackward: PackedMatrix
    /// W_ih as [F, 4H] and b_ih + b_hh, for the inference pass (`LSTMLayer+Inference`).
    let inputForward: PackedMatrix
    let biasSum = FloatBuffer()
    private var batch = 0, steps = 0

    public init(features: Int, units: Int, returnSequences: Bool, rng: inout SeededGenerator) {
        self.features = features
        self.units = units
        self.returnSequences = returnSequences
        self.weights = RecurrentParameters(gates: 4, units: units, features: features, rng: &rng)
        recurrentForward = PackedMatrix(n: 4 * units, k: units)
        recurrentBackward = PackedMatrix(n: units, k: 4 * units)
        inputForward = PackedMatrix(n: 4 * units, k: features)
    }

    /// weight_ih, weight_hh, bias_ih, bias_hh (PyTorch's names, order and layouts).
    public var parameters: [Parameter] { weights.all }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(
            input.rank == 3 && input.shape[1] >= 1 && input.shape[2] == features,
            "lstm expects [N, T, \(features)], got \(input.shape)")
        if !context.training && input.shape[0] >= Self.inferenceMinimumBatch {
            return inferenceForward(input, threads: context.threads)
        }
        let n = input.shape[0], t = input.shape[1], h = units, w = 4 * units
        batch = n
        steps = t
        let x = xs.reserve(t * n * features)
        input.scalars.withUnsafeBufferPointer {
            SequenceLayout.swapLeadingAxes($0.baseAddress!, x, a: n, b: t, inner: features)
        }
        let gates = self.gates.reserve(t * n * w)
        let states = self.states.reserve((t + 1) * n * h), cells = self.cells.reserve((t + 1) * n * h)
        let tanhCells = self.tanhCells.reserve(t * n * h)
        states.update(repeating: 0, count: n * h)
        cells.update(repeating: 0, count: n * h)
        weights.project(inputs: x, rows: t * n, into: gates, threads: context.threads)
        let ranges = SequenceLayout.rowRanges(batch: n, threads: context.threads)
        let recurrent = recurrentForward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nt, b: $0.baseAddress!) }
        Parallel.forEach(chunks: ranges.count, threads: context.threads) { chunk in
            let rows = ranges[chunk]
            for step in 1...t {
                let first = (step - 1) * n + rows.lowerBound
                if step > 1 {
                    recurrent.multiply(a: states + first * h, m: rows.count, c: gates + first * w, accumulate: true)
                }
                for row in rows {
                    let r = (step - 1) * n + row
                    RecurrentMath.lstmCellForward(
                        gates: gates + r * w, previousCell: cells + r * h,
                        cell: cells + (r + n) * h, tanhCell: tanhCells + r * h,
                        state: states + (r + n) * h, units: h)
                }
            }
        }
        return SequenceLayout.output(states: states, batch: n, steps: t, units: h, returnSequences: returnSequences)
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let n = batch, t = steps, h = units, w = 4 * units
        precondition(gradOutput.count == (returnSequences ? n * t * h : n * h), "lstm gradient has the wrong size")
        let gates = self.gates.pointer, cells = self.cells.pointer, tanhCells = self.tanhCells.pointer
        let dz = self.dz.reserve(t * n * w)
        let carryH = self.carryH.reserveZeroed(n * h), carryC = self.carryC.reserveZeroed(n * h)
        let returnSequences = self.returnSequences
        let ranges = SequenceLayout.rowRanges(batch: n, threads: context.threads)
        let recurrent = recurrentBackward
        weights.weightHH.value.scalars.withUnsafeBufferPointer { recurrent.pack(.nn, b: $0.baseAddress!) }
        gradOutput.scalars.withUnsafeBufferPointer { dyBuffer in
            let dy = dyBuffer.baseAddress!
            Parallel.forEach(chunks: ranges.count, threads: context.threads) { chunk in
                let rows = ranges[chunk]
                for step in stride(from: t, through: 1, by: -1) {
                    for row in rows {
                        // dh_t = dh carried from step t + 1 + this step's output gradient,
                        // gathered in carryH (the GEMM below overwrites it afterwards).
                        let dh = carryH + row * h
                        if returnSequences {
                            RecurrentMath.add(dh, dy + (row * t + step - 1) * h, into: dh, count: h)
                        } else if step == t {
                            RecurrentMath.add(dh, dy + row * h, into: dh, count: h)
                        }
                        let r = (step - 1) * n + row
                        RecurrentMath.lstmCellBackward(
                            gates: gates + r * w, previousCell: cells + r * h,
                            tanhCell: tanhCells + r * h, dh: dh, dc: carryC + row * h,
                            dz: dz + r * w, units: h)
                    }
                    if step > 1 {
                        let first = (step - 1) * n + rows.lowerBound
                        recurrent.multiply(
                            a: dz + first * w, m: rows.count, c: carryH + rows.lowerBound * h,
                            accumulate: false)
                    }
                }
            }
        }
        weights.accumulateGradients(
            gateGradients: dz, inputs: xs.pointer, previousStates: states.pointer,
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
