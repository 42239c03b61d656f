/// One Adam step over one parameter's elements, sixteen at a time.
///
/// Why by hand: the compiler left the loop scalar (four arrays it cannot prove apart, a square
/// root and a division per element), and at W3's size (21,642 parameters, a step every 32
/// samples) that was a few percent of training. Each lane computes exactly the scalar
/// expression, operation by operation (no fused multiply-add: Swift does not contract), so the
/// bits are those of the scalar loop, which still handles the last few elements.
struct AdamUpdate {
    let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    let stepSize: Float, correction2Root: Float

    func apply(
        p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int
    ) {
        typealias V = SIMD16<Float>
        let (oneMinusBeta1, oneMinusBeta2) = (1 - beta1, 1 - beta2)
        var i = 0
        while i + 16 <= count {
            let rp = UnsafeMutableRawPointer(p + i), rg = UnsafeRawPointer(g + i)
            let rm = UnsafeMutableRawPointer(m + i), rv = UnsafeMutableRawPointer(v + i)
            let pi = rp.loadUnaligned(as: V.self), gi = rg.loadUnaligned(as: V.self)
            let d = gi + weightDecay * pi
            let mi = beta1 * rm.loadUnaligned(as: V.self) + oneMinusBeta1 * d
            let vi = beta2 * rv.loadUnaligned(as: V.self) + oneMinusBeta2 * d * d
            rm.storeBytes(of: mi, as: V.self)
            rv.storeBytes(of: vi, as: V.self)
            rp.storeBytes(of: pi - stepSize * mi / (vi.squareRoot() / correction2Root + epsilon), as: V.self)
            i += 16
        }
        while i < count {
            let d = g[i] + weightDecay * p[i]
            m[i] = beta1 * m[i] + oneMinusBeta1 * d
            v[i] = beta2 * v[i] + oneMinusBeta2 * d * d
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
            i += 1
        }
    }
}
