import NNKernelsAVX2
import NNKernelsAVX512

/// The element-wise parts of the recurrent steps, eight lanes at a time: the LSTM cell
/// forward and backward on one row, and the small helpers the RNN step shares.
///
/// Row legend (H units): gate activations a `[4H]` in PyTorch's order i, f, g, o; cell
/// states c_{t−1}, c_t, tanh(c_t) and h_t `[H]`; gate gradients dz `[4H]`.
enum RecurrentMath {
    typealias V = SIMD8<Float>

    /// The first `lanes` (1…8) floats at p, zero-padded.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ lanes: Int) -> V {
        if lanes == 8 { return VectorMath.load(p) }
        var v = V()
        for j in 0..<lanes { v[j] = p[j] }
        return v
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 { return VectorMath.store(v, p) }
        for j in 0..<lanes { p[j] = v[j] }
    }

    /// out = a + b.
    @inline(__always)
    static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        var j = 0
        while j < count {
            let lanes = min(8, count - j)
            store(load(a + j, lanes) + load(b + j, lanes), out + j, lanes)
            j += 8
        }
    }

    /// d *= 1 − y², tanh's derivative through its output y.
    @inline(__always)
    static func multiplyByTanhDerivative(_ d: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        var j = 0
        while j < count {
            let lanes = min(8, count - j)
            let v = load(y + j, lanes)
            store(load(d + j, lanes) * (V(repeating: 1) - v * v), d + j, lanes)
            j += 8
        }
    }

    /// Gate nonlinearities on a pre-activation row in place, then
    /// c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t) (`GateMath.lstmCellForward`, by the
    /// active kernel set).
    @inline(__always)
    static func lstmCellForward(
        gates a: UnsafeMutablePointer<Float>, previousCell cp: UnsafePointer<Float>,
        cell c: UnsafeMutablePointer<Float>, tanhCell tc: UnsafeMutablePointer<Float>,
        state h: UnsafeMutablePointer<Float>, units: Int
    ) {
        switch KernelISA.active {
        case .avx2:
            avx2LSTMCellForward(gates: a, previousCell: cp, cell: c, tanhCell: tc, state: h, units: units)
        case .avx512:
            avx512LSTMCellForward(gates: a, previousCell: cp, cell: c, tanhCell: tc, state: h, units: units)
        }
    }

    /// From dh_t (the carried gradient plus this step's output gradient) and the carried dc,
    /// the gate pre-activation gradients dz, and dc_{t−1} = dc ⊙ f written back to `dc`
    /// (`GateMath.lstmCellBackward`, by the active kernel set).
    @inline(__always)
    static func lstmCellBackward(
        gates a: UnsafePointer<Float>, previousCell cp: UnsafePointer<Float>,
        tanhCell tc: UnsafePointer<Float>, dh: UnsafePointer<Float>,
        dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>, units: Int
    ) {
        switch KernelISA.active {
        case .avx2:
            avx2LSTMCellBackward(gates: a, previousCell: cp, tanhCell: tc, dh: dh, dc: dc, dz: dz, units: units)
        case .avx512:
            avx512LSTMCellBackward(gates: a, previousCell: cp, tanhCell: tc, dh: dh, dc: dc, dz: dz, units: units)
        }
    }
}
