/// The keep-or-drop draws of `DropoutLayer`, eight xoshiro256** streams side by side
/// (`SeededGenerator`'s algorithm, one lane per stream), so the draws vectorise instead of
/// waiting on one generator's serial state. Value i of a block comes from lane i mod 8, each
/// lane's stream seeded by `SeededGenerator(seed: seed + lane)`: the mask depends only on the
/// seed and the block, never on the vector width or the thread count.
struct DropoutMask {
    typealias U = SIMD8<UInt64>
    private var s0 = U(), s1 = U(), s2 = U(), s3 = U()

    init(seed: UInt64) {
        for lane in 0..<8 {
            let words = SeededGenerator(seed: seed &+ UInt64(lane)).stateWords
            (s0[lane], s1[lane], s2[lane], s3[lane]) = (words[0], words[1], words[2], words[3])
        }
    }

    @inline(__always)
    private static func rotate(_ x: U, _ k: UInt64) -> U { (x &<< k) | (x &>> (64 - k)) }

    /// The next draw of each stream (`SeededGenerator.next`, per lane; ·5 and ·9 as shifts
    /// and adds, which AVX2 has for 64-bit lanes where it lacks a multiply).
    @inline(__always)
    private mutating func next() -> U {
        let x = s1 &+ (s1 &<< 2)
        let rotated = Self.rotate(x, 7)
        let result = rotated &+ (rotated &<< 3)
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotate(s3, 45)
        return result
    }

    /// m[i] = keep when the i-th uniform draw in [0, 1) (its top 24 bits k, as
    /// `SeededGenerator.uniform`: k·2⁻²⁴) is at least `rate`, else 0; and y[i] = x[i]·m[i].
    mutating func fill(
        mask m: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        count: Int, rate: Float, keep: Float
    ) {
        typealias V = SIMD8<Float>
        // k·2⁻²⁴ ≥ rate exactly when k ≥ ⌈rate·2²⁴⌉ (both sides exact in Double); then
        // (⌈rate·2²⁴⌉ − 1 − k) is negative and its sign bit is the keep flag, with no lane-wise
        // compare and select.
        let threshold = SIMD8<Int32>(repeating: Int32((Double(rate) * 16_777_216).rounded(.up)) - 1)
        let keepVector = V(repeating: keep)
        var i = 0
        while i < count {
            let bits = SIMD8<Int32>(truncatingIfNeeded: next() &>> 40)
            let flag = SIMD8<UInt32>(truncatingIfNeeded: threshold &- bits) &>> 31
            let mask = V(SIMD8<Int32>(truncatingIfNeeded: flag)) * keepVector
            if i + 8 <= count {
                UnsafeMutableRawPointer(m + i).storeBytes(of: mask, as: V.self)
                let product = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * mask
                UnsafeMutableRawPointer(y + i).storeBytes(of: product, as: V.self)
            } else {
                for lane in 0..<(count - i) {
                    m[i + lane] = mask[lane]
                    y[i + lane] = x[i + lane] * mask[lane]
                }
            }
            i += 8
        }
    }
}
