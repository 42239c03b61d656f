/// The four tensors of a PyTorch recurrent layer and the products that touch every step at
/// once: the input projection before the step loop, and the weight gradients and input
/// gradient after it, each one GEMM over all T·N rows.
///
/// Shapes (G gates: 1 for rnn, 4 for lstm in the order i, f, g, o; H units; F features):
/// weight_ih `[G·H, F]`, weight_hh `[G·H, H]`, bias_ih and bias_hh `[G·H]`; time-major rows
/// x `[T·N, F]`, previous states `[T·N, H]` (h_0 … h_{T−1}), gate gradients dz `[T·N, G·H]`.
final class RecurrentParameters {
    let gates: Int
    let units: Int
    let features: Int
    let weightIH: Parameter
    let weightHH: Parameter
    let biasIH: Parameter
    let biasHH: Parameter
    /// The transposed weight products and the bias sums, reused from batch to batch.
    private let scratch = FloatBuffer()

    /// PyTorch's initialisation: every tensor uniform in ±1/√H, drawn in parameter order.
    init(gates: Int, units: Int, features: Int, rng: inout SeededGenerator) {
        precondition(gates > 0 && units > 0 && features > 0)
        self.gates = gates
        self.units = units
        self.features = features
        let bound = 1 / Float(units).squareRoot()
        func draw(_ shape: [Int]) -> Tensor {
            var tensor = Tensor(zeros: shape)
            for i in 0..<tensor.count { tensor.scalars[i] = rng.uniform(-bound, bound) }
            return tensor
        }
        weightIH = Parameter(name: "weight_ih", value: draw([gates * units, features]))
        weightHH = Parameter(name: "weight_hh", value: draw([gates * units, units]))
        biasIH = Parameter(name: "bias_ih", value: draw([gates * units]))
        biasHH = Parameter(name: "bias_hh", value: draw([gates * units]))
    }

    var all: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }

    var width: Int { gates * units }

    /// z[r, :] = b_ih + b_hh + x[r, :] · W_ihᵀ for all rows: one GEMM for every step.
    func project(inputs x: UnsafePointer<Float>, rows: Int, into z: UnsafeMutablePointer<Float>, threads: Int) {
        let width = self.width
        guard rows > 0 else { return }
        biasIH.value.scalars.withUnsafeBufferPointer { bi in
            biasHH.value.scalars.withUnsafeBufferPointer { bh in
                z.update(from: bi.baseAddress!, count: width)
                for j in 0..<width { z[j] += bh[j] }
            }
        }
        for r in 1..<rows { (z + r * width).update(from: z, count: width) }
        weightIH.value.scalars.withUnsafeBufferPointer { w in
            Gemm.multiply(
                .nt, m: rows, n: width, k: features, a: x, b: w.baseAddress!, c: z,
                accumulate: true, threads: threads)
        }
    }

    /// dW_ih += dzᵀ · x, dW_hh += dzᵀ · h_prev, db_ih = db_hh += Σ_r dz[r, :].
    ///
    /// All of it is one GEMM, [x | h_prev | 1]ᵀ · dz `[F + H + 1, G·H]`: the column of ones
    /// gives the bias sums. It is computed transposed so that dz, the largest operand
    /// (megabytes at W3's size), is read once, as the right operand, which the GEMM packs
    /// eight lanes at a time.
    func accumulateGradients(
        gateGradients dz: UnsafePointer<Float>, inputs x: UnsafePointer<Float>,
        previousStates hp: UnsafePointer<Float>, rows: Int, threads: Int
    ) {
        let width = self.width, stacked = features + units + 1
        let operand = scratch.reserve(rows * stacked + stacked * width)
        let product = operand + rows * stacked
        for r in 0..<rows {
            let row = operand + r * stacked
            row.update(from: x + r * features, count: features)
            (row + features).update(from: hp + r * units, count: units)
            row[stacked - 1] = 1
        }
        Gemm.multiply(
            .tn, m: stacked, n: width, k: rows, a: operand, b: dz, c: product,
            accumulate: false, threads: threads)
        for (parameter, first, columns) in [(weightIH, 0, features), (weightHH, features, units)] {
            parameter.gradient.scalars.withUnsafeMutableBufferPointer { g in
                for row in 0..<width {
                    for column in 0..<columns { g[row * columns + column] += product[(first + column) * width + row] }
                }
            }
        }
        // Both biases enter every pre-activation with weight 1, so they share one gradient.
        let sums = product + (stacked - 1) * width
        for bias in [biasIH, biasHH] {
            bias.gradient.scalars.withUnsafeMutableBufferPointer { g in
                for j in 0..<width { g[j] += sums[j] }
            }
        }
    }

    /// dx = dz · W_ih for all rows.
    func inputGradient(
        gateGradients dz: UnsafePointer<Float>, rows: Int, into dx: UnsafeMutablePointer<Float>,
        threads: Int
    ) {
        weightIH.value.scalars.withUnsafeBufferPointer { w in
            Gemm.multiply(
                .nn, m: rows, n: features, k: width, a: dz, b: w.baseAddress!, c: dx,
                accumulate: false, threads: threads)
        }
    }
}
