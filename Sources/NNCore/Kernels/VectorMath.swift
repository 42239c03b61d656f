/// Eight-lane exp, sigmoid and tanh for the recurrent gates, where scalar libm calls would
/// cost more than the GEMMs around them.
///
/// exp uses Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, and Cephes' degree-6
/// minimax polynomial for e^r (relative error ≈ 2 ulp); 2^n is built in the exponent bits.
/// Inputs are clamped to [-87, 88] so that 2^n stays a normal float: e^-87 ≈ 1.6e-38 is
/// close enough to 0 for the gates, and nothing the layers feed in exceeds e^88.
/// `scalarReference` functions (libm) sit beside them for the tests.
public enum VectorMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ x: V) -> V {
        // Comparisons and blends; `clamped` goes through a generic call that is not inlined.
        var x = x
        x.replace(with: V(repeating: -87), where: x .< V(repeating: -87))
        x.replace(with: V(repeating: 88), where: x .> V(repeating: 88))
        // Adding 1.5·2^23 rounds x·log2(e) to the nearest integer n, which then sits in the
        // low mantissa bits of t.
        let magic = V(repeating: 12_582_912)
        let t = x * V(repeating: 1.442_695_04) + magic
        let n = t - magic
        // ln2 split in two parts so that n·ln2 loses no bits.
        let r = (x - n * V(repeating: 0.693_359_375)) - n * V(repeating: -2.121_944_4e-4)
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + V(repeating: 1.398_199_950_7e-3)
        p = p * r + V(repeating: 8.333_451_907_3e-3)
        p = p * r + V(repeating: 4.166_579_589_4e-2)
        p = p * r + V(repeating: 1.666_666_545_9e-1)
        p = p * r + V(repeating: 5.000_000_120_1e-1)
        let er = p * (r * r) + r + V(repeating: 1)
        let exponent = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: V.self)
        return er * scale
    }

    @inline(__always)
    static func sigmoid(_ x: V) -> V {
        V(repeating: 1) / (V(repeating: 1) + exp(-x))
    }

    /// tanh|x| = (1 − e^{−2|x|}) / (1 + e^{−2|x|}), with the sign put back. Below |x| = 1/4
    /// that difference cancels, so an odd Taylor polynomial (error < 1e-8 relative) takes over.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let sign = bits & 0x8000_0000
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: V.self)
        let e = exp(a * V(repeating: -2))
        var large = (V(repeating: 1) - e) / (V(repeating: 1) + e)
        let a2 = a * a
        var small = V(repeating: 62.0 / 2835.0)
        small = small * a2 - V(repeating: 17.0 / 315.0)
        small = small * a2 + V(repeating: 2.0 / 15.0)
        small = small * a2 - V(repeating: 1.0 / 3.0)
        small = small * a2 * a + a
        large.replace(with: small, where: a .< V(repeating: 0.25))
        return unsafeBitCast(unsafeBitCast(large, to: SIMD8<UInt32>.self) | sign, to: V.self)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Applies `f` to `count` floats in place; a partial last vector goes through a copy.
    @inline(__always)
    static func apply(_ values: UnsafeMutablePointer<Float>, count: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= count {
            store(f(load(values + i)), values + i)
            i += 8
        }
        if i < count {
            var tail = V()
            for j in 0..<(count - i) { tail[j] = values[i + j] }
            tail = f(tail)
            for j in 0..<(count - i) { values[i + j] = tail[j] }
        }
    }

    public static func exp(_ values: UnsafeMutablePointer<Float>, count: Int) { apply(values, count: count, exp) }
    public static func sigmoid(_ values: UnsafeMutablePointer<Float>, count: Int) {
        apply(values, count: count, sigmoid)
    }
    public static func tanh(_ values: UnsafeMutablePointer<Float>, count: Int) { apply(values, count: count, tanh) }

    /// libm versions of the same functions, for comparing against.
    public static func scalarReferenceExp(_ x: Float) -> Float { _expf(x) }
    public static func scalarReferenceSigmoid(_ x: Float) -> Float { Activation.sigmoid(x) }
    public static func scalarReferenceTanh(_ x: Float) -> Float { _tanhf(x) }
}
