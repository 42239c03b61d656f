/// exp, sigmoid and tanh on vectors of any width, and the LSTM cell step built on them, for the
/// recurrent gates, where scalar libm calls would cost more than the GEMMs around them.
/// Compiled per instruction set in the kernel modules, like `GemmTile`.
///
/// Every operation is lane-wise (no reductions; the fused multiply-adds are the same single
/// rounding at either width, AVX2's FMA or AVX-512's), so each lane's result has the same bits
/// at any width.
///
/// exp uses Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, and Cephes' degree-6
/// minimax polynomial for e^r (relative error ≈ 2 ulp), evaluated with fused multiply-adds
/// (each step one rounding, and one instruction where a multiply and an add were two);
/// 2^n is built in the exponent bits.
/// Inputs are clamped to [-87, 88] so that 2^n stays a normal float: e^-87 ≈ 1.6e-38 is
/// close enough to 0 for the gates, and nothing the layers feed in exceeds e^88.
public enum GateMath {
    @inlinable @inline(__always)
    public static func exp<V: GateVector>(_ x: V) -> V {
        let x = x.clamped(-87, 88)
        // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n, which then sits in the
        // low mantissa bits of t.
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(x, V(repeating: 1.442_695_04))
        let n = t - magic
        // ln2 split in two parts so that n·ln2 loses no bits.
        let r = x.addingProduct(n, V(repeating: -0.693_359_375)).addingProduct(n, V(repeating: 2.121_944_4e-4))
        var p = V(repeating: 1.987_569_15e-4)
        p = V(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = V(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = V(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = V(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = V(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let er = (r + V(repeating: 1)).addingProduct(p, r * r)
        let exponent = unsafeBitCast(t, to: V.MaskStorage.self) &- 0x4B40_0000
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: V.self)
        return er * scale
    }

    @inlinable @inline(__always)
    public static func sigmoid<V: GateVector>(_ x: V) -> V {
        V(repeating: 1) / (V(repeating: 1) + exp(-x))
    }

    /// tanh|x| = (1 − e^{−2|x|}) / (1 + e^{−2|x|}), with the sign put back. Below |x| = 1/4
    /// that difference cancels, so an odd Taylor polynomial (error < 1e-8 relative) takes over.
    @inlinable @inline(__always)
    public static func tanh<V: GateVector>(_ x: V) -> V {
        let bits = unsafeBitCast(x, to: V.MaskStorage.self)
        let sign = bits & V.MaskStorage.Scalar.min
        let a = unsafeBitCast(bits & ~V.MaskStorage.Scalar.min, to: V.self)
        let e = exp(a * V(repeating: -2))
        var large = (V(repeating: 1) - e) / (V(repeating: 1) + e)
        let a2 = a * a
        var small = V(repeating: 62.0 / 2835.0)
        small = V(repeating: -17.0 / 315.0).addingProduct(small, a2)
        small = V(repeating: 2.0 / 15.0).addingProduct(small, a2)
        small = V(repeating: -1.0 / 3.0).addingProduct(small, a2)
        small = a.addingProduct(small * a2, a)
        large = large.replacing(with: small, whereBelow: a, 0.25)
        return unsafeBitCast(unsafeBitCast(large, to: V.MaskStorage.self) | sign, to: V.self)
    }

    /// The first `lanes` (1…W) floats at p, zero-padded.
    @inlinable @inline(__always)
    public static func load<V: GateVector>(_ p: UnsafePointer<Float>, _ lanes: Int) -> V {
        if lanes == V.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var v = V()
        for j in 0..<lanes { v[j] = p[j] }
        return v
    }

    @inlinable @inline(__always)
    public static func store<V: GateVector>(_ v: V, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == V.scalarCount { return UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
        for j in 0..<lanes { p[j] = v[j] }
    }

    /// Applies `f` to `count` floats in place, W at a time; a partial last vector goes through
    /// a zero-padded copy.
    @inlinable @inline(__always)
    public static func apply<V: GateVector>(_: V.Type, _ values: UnsafeMutablePointer<Float>, count: Int, _ f: (V) -> V)
    {
        let width = V.scalarCount
        let raw = UnsafeMutableRawPointer(values)
        var i = 0
        while i + width <= count {
            raw.storeBytes(of: f(raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)), toByteOffset: 4 * i, as: V.self)
            i += width
        }
        if i < count { store(f(load(values + i, count - i)), values + i, count - i) }
    }

    /// One LSTM row: gate nonlinearities on the pre-activations a `[4H]` (i, f, g, o) in place,
    /// then c_t = f ⊙ c_{t−1} + i ⊙ g, tanh(c_t), h_t = o ⊙ tanh(c_t).
    @inlinable @inline(__always)
    public static func lstmCellForward<V: GateVector>(
        _: V.Type, gates a: UnsafeMutablePointer<Float>, previousCell cp: UnsafePointer<Float>,
        cell c: UnsafeMutablePointer<Float>, tanhCell tc: UnsafeMutablePointer<Float>,
        state h: UnsafeMutablePointer<Float>, units: Int
    ) {
        apply(V.self, a, count: 2 * units) { sigmoid($0) }
        apply(V.self, a + 2 * units, count: units) { tanh($0) }
        apply(V.self, a + 3 * units, count: units) { sigmoid($0) }
        var j = 0
        while j + V.scalarCount <= units {
            cellLanes(V.self, a + j, cp + j, c + j, tc + j, h + j, units: units, lanes: V.scalarCount)
            j += V.scalarCount
        }
        if j < units { cellLanes(V.self, a + j, cp + j, c + j, tc + j, h + j, units: units, lanes: units - j) }
    }

    /// One LSTM row backward: from dh_t (carried gradient plus this step's output gradient),
    /// the carried dc, the activated gates a `[4H]`, c_{t−1} and tanh(c_t), the gate
    /// pre-activation gradients dz `[4H]`, and dc_{t−1} = dc ⊙ f written back to `dc`.
    @inlinable @inline(__always)
    public static func lstmCellBackward<V: GateVector>(
        _: V.Type, gates a: UnsafePointer<Float>, previousCell cp: UnsafePointer<Float>,
        tanhCell tc: UnsafePointer<Float>, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
        dz: UnsafeMutablePointer<Float>, units: Int
    ) {
        let one = V(repeating: 1)
        var j = 0
        while j < units {
            let lanes = min(V.scalarCount, units - j)
            let i: V = load(a + j, lanes), f: V = load(a + units + j, lanes)
            let g: V = load(a + 2 * units + j, lanes), o: V = load(a + 3 * units + j, lanes)
            let t: V = load(tc + j, lanes), dhv: V = load(dh + j, lanes)
            let dcv = (load(dc + j, lanes) as V).addingProduct(dhv * o, one.addingProduct(-t, t))
            store(dcv * g * i * (one - i), dz + j, lanes)
            store(dcv * load(cp + j, lanes) * f * (one - f), dz + units + j, lanes)
            store(dcv * i * (one - g * g), dz + 2 * units + j, lanes)
            store(dhv * t * o * (one - o), dz + 3 * units + j, lanes)
            store(dcv * f, dc + j, lanes)
            j += V.scalarCount
        }
    }

    /// c, tanh(c) and h for `lanes` units from the activated gates.
    @inlinable @inline(__always)
    static func cellLanes<V: GateVector>(
        _: V.Type, _ a: UnsafePointer<Float>, _ cp: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ tc: UnsafeMutablePointer<Float>, _ h: UnsafeMutablePointer<Float>, units: Int, lanes: Int
    ) {
        let i: V = load(a, lanes), f: V = load(a + units, lanes)
        let g: V = load(a + 2 * units, lanes), o: V = load(a + 3 * units, lanes)
        let cell = (i * g).addingProduct(f, load(cp, lanes))
        let t = tanh(cell)
        store(cell, c, lanes)
        store(t, tc, lanes)
        store(o * t, h, lanes)
    }
}

/// The lane comparisons `GateMath` needs, written per concrete vector type: there the
/// comparison operators compile to single vector compares, while through a generic `SIMD` they
/// become a loop over the lanes.
public protocol GateVector: SIMD where Scalar == Float {
    /// Each lane limited to [low, high].
    func clamped(_ low: Float, _ high: Float) -> Self
    /// `other`'s lanes where `key`'s lane is below `limit`, else this vector's.
    func replacing(with other: Self, whereBelow key: Self, _ limit: Float) -> Self
}

extension SIMD8: GateVector where Scalar == Float {
    @inlinable @inline(__always)
    public func clamped(_ low: Float, _ high: Float) -> Self {
        var x = self
        x.replace(with: Self(repeating: low), where: x .< Self(repeating: low))
        x.replace(with: Self(repeating: high), where: x .> Self(repeating: high))
        return x
    }

    @inlinable @inline(__always)
    public func replacing(with other: Self, whereBelow key: Self, _ limit: Float) -> Self {
        var x = self
        x.replace(with: other, where: key .< Self(repeating: limit))
        return x
    }
}

extension SIMD16: GateVector where Scalar == Float {
    @inlinable @inline(__always)
    public func clamped(_ low: Float, _ high: Float) -> Self {
        var x = self
        x.replace(with: Self(repeating: low), where: x .< Self(repeating: low))
        x.replace(with: Self(repeating: high), where: x .> Self(repeating: high))
        return x
    }

    @inlinable @inline(__always)
    public func replacing(with other: Self, whereBelow key: Self, _ limit: Float) -> Self {
        var x = self
        x.replace(with: other, where: key .< Self(repeating: limit))
        return x
    }
}
