/// Element-wise activations and softmax over the last axis, forward and backward.
///
/// Backward is expressed through the forward output y: relu' = [y > 0], sigmoid' = y(1 − y),
/// tanh' = 1 − y², and softmax's Jacobian-vector product dx = y ⊙ (dy − Σ dy ⊙ y) per row.
public enum Activation {
    public static func forward(_ function: ActivationFunction, _ x: inout Tensor, threads: Int = 1) {
        let width = x.shape.last ?? 1, count = x.count
        x.scalars.withUnsafeMutableBufferPointer { v in
            guard let v = v.baseAddress else { return }
            forward(function, x: v, y: v, count: count, width: width, threads: threads)
        }
    }

    /// y = f(x) into a new tensor (no copy of x first).
    public static func forward(_ function: ActivationFunction, _ x: Tensor, threads: Int) -> Tensor {
        let width = x.shape.last ?? 1
        let scalars = x.scalars.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: x.count) { y, initialized in
                if let source = x.baseAddress {
                    forward(function, x: source, y: y.baseAddress!, count: x.count, width: width, threads: threads)
                }
                initialized = x.count
            }
        }
        return Tensor(shape: x.shape, scalars: scalars)
    }

    /// y = f(x) element-wise (x and y may be the same buffer), in fixed blocks of rows.
    static func forward(
        _ function: ActivationFunction, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        count: Int, width: Int, threads: Int
    ) {
        let rows = count / max(width, 1)
        RowBlocks(rows: rows, features: width).forEach(threads: threads) { block in
            let range = (block.lowerBound * width)..<(block.upperBound * width)
            switch function {
            case .linear:
                if UnsafePointer(y) != x { for i in range { y[i] = x[i] } }
            case .relu:
                for i in range { y[i] = x[i] > 0 ? x[i] : 0 }  // branch-free, so it vectorises
            case .sigmoid:
                for i in range { y[i] = sigmoid(x[i]) }
            case .tanh:
                for i in range { y[i] = _tanhf(x[i]) }
            case .softmax:
                for row in block {
                    if UnsafePointer(y) != x { (y + row * width).update(from: x + row * width, count: width) }
                    softmaxRow(y + row * width, count: width)
                }
            }
        }
    }

    /// dx = f'(x) ⊙ dy through the output y, into a new tensor.
    public static func backward(
        _ function: ActivationFunction, output y: Tensor, gradient dy: Tensor, threads: Int
    ) -> Tensor {
        let width = y.shape.last ?? 1
        let scalars = y.scalars.withUnsafeBufferPointer { y in
            dy.scalars.withUnsafeBufferPointer { g in
                [Float](unsafeUninitializedCapacity: g.count) { dx, initialized in
                    if let yp = y.baseAddress, let gp = g.baseAddress {
                        backward(
                            function, y: yp, dy: gp, dx: dx.baseAddress!, count: g.count, width: width, threads: threads
                        )
                    }
                    initialized = g.count
                }
            }
        }
        return Tensor(shape: dy.shape, scalars: scalars)
    }

    /// dx from dy and y element-wise, in fixed blocks of rows.
    static func backward(
        _ function: ActivationFunction, y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, count: Int, width: Int, threads: Int
    ) {
        let rows = count / max(width, 1)
        RowBlocks(rows: rows, features: width).forEach(threads: threads) { block in
            let range = (block.lowerBound * width)..<(block.upperBound * width)
            switch function {
            case .linear:
                for i in range { dx[i] = dy[i] }
            case .relu:
                for i in range { dx[i] = y[i] > 0 ? dy[i] : 0 }
            case .sigmoid:
                for i in range { dx[i] = dy[i] * (y[i] * (1 - y[i])) }
            case .tanh:
                for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
            case .softmax:
                for row in block {
                    var dot: Float = 0
                    for j in (row * width)..<((row + 1) * width) { dot += dy[j] * y[j] }
                    for j in (row * width)..<((row + 1) * width) { dx[j] = y[j] * (dy[j] - dot) }
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
