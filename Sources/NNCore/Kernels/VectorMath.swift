import NNKernelTemplates
import NNKernelsAVX2
import NNKernelsAVX512

/// exp, sigmoid and tanh for the recurrent gates and activations: `GateMath` (one source for
/// every vector width), run in place over arrays by the kernel set that `KernelISA` chose.
/// Every lane is computed alike at any width, so both sets give the same bits.
/// `scalarReference` functions (libm) sit beside them for the tests.
public enum VectorMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ x: V) -> V { GateMath.exp(x) }

    @inline(__always)
    static func sigmoid(_ x: V) -> V { GateMath.sigmoid(x) }

    @inline(__always)
    static func tanh(_ x: V) -> V { GateMath.tanh(x) }

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

    public static func exp(_ values: UnsafeMutablePointer<Float>, count: Int) { gate(0, values, count: count) }
    public static func sigmoid(_ values: UnsafeMutablePointer<Float>, count: Int) { gate(1, values, count: count) }
    public static func tanh(_ values: UnsafeMutablePointer<Float>, count: Int) { gate(2, values, count: count) }

    /// `function` (0 exp, 1 sigmoid, 2 tanh) in place, by the active kernel set.
    @inline(__always)
    private static func gate(_ function: Int, _ values: UnsafeMutablePointer<Float>, count: Int) {
        switch KernelISA.active {
        case .avx2: avx2Gate(function, values, count: count)
        case .avx512: avx512Gate(function, values, count: count)
        }
    }

    /// libm versions of the same functions, for comparing against.
    public static func scalarReferenceExp(_ x: Float) -> Float { _expf(x) }
    public static func scalarReferenceSigmoid(_ x: Float) -> Float { Activation.sigmoid(x) }
    public static func scalarReferenceTanh(_ x: Float) -> Float { _tanhf(x) }
}
