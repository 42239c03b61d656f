/// Element-wise activations and softmax over the last axis, forward and backward.
///
/// Backward is expressed through the forward output y: relu' = [y > 0], sigmoid' = y(1 − y),
/// tanh' = 1 − y², and softmax's Jacobian-vector product dx = y ⊙ (dy − Σ dy ⊙ y) per row.
public enum Activation {
    public static func forward(_ function: ActivationFunction, _ x: inout Tensor) {
        let width = x.shape.last ?? 1
        x.scalars.withUnsafeMutableBufferPointer { v in
            switch function {
            case .linear:
                break
            case .relu:
                for i in v.indices { v[i] = v[i] > 0 ? v[i] : 0 }   // branch-free, so it vectorises
            case .sigmoid:
                for i in v.indices { v[i] = sigmoid(v[i]) }
            case .tanh:
                for i in v.indices { v[i] = _tanhf(v[i]) }
            case .softmax:
                var row = 0
                while row < v.count {
                    softmaxRow(v.baseAddress! + row, count: width)
                    row += width
                }
            }
        }
    }

    /// Turns dy into dx in place, given the forward output y.
    public static func backward(_ function: ActivationFunction, output y: Tensor, gradient dy: inout Tensor) {
        let width = y.shape.last ?? 1
        y.scalars.withUnsafeBufferPointer { y in
            dy.scalars.withUnsafeMutableBufferPointer { g in
                switch function {
                case .linear:
                    break
                case .relu:
                    for i in g.indices { g[i] = y[i] > 0 ? g[i] : 0 }
                case .sigmoid:
                    for i in g.indices { g[i] *= y[i] * (1 - y[i]) }
                case .tanh:
                    for i in g.indices { g[i] *= 1 - y[i] * y[i] }
                case .softmax:
                    var row = 0
                    while row < g.count {
                        var dot: Float = 0
                        for j in row..<(row + width) { dot += g[j] * y[j] }
                        for j in row..<(row + width) { g[j] = y[j] * (g[j] - dot) }
                        row += width
                    }
                }
            }
        }
    }

    /// The logistic function, written so that neither branch overflows.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + _expf(-x))
        }
        let e = _expf(x)
        return e / (1 + e)
    }

    /// Softmax of one row in place, shifted by its maximum for stability.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for j in 0..<count { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<count {
            row[j] = _expf(row[j] - maximum)
            sum += row[j]
        }
        let scale = 1 / sum
        for j in 0..<count { row[j] *= scale }
    }
}
