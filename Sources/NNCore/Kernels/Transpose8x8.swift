import _Builtin_intrinsics.intel

/// An 8×8 transpose in registers, for packing operands whose panels run across the stored
/// rows (A of `nn`/`nt`, B of `nt`): eight row loads and eight column stores replace 64
/// scalar moves with strided stores.
///
/// Shape legend: `rows` are 8 rows of 8 values, `[8, 8]`; the result's vector q holds
/// column q, that is element q of every row.
enum Transpose8x8 {
    typealias V = SIMD8<Float>

    /// Loads rows `source + i * stride` (8 contiguous values each) for i in 0..<8, or the row
    /// `source + (count - 1) * stride` again for i ≥ `count`, and returns their columns.
    @inline(__always)
    static func columns(_ source: UnsafePointer<Float>, stride: Int, count: Int = 8) -> (V, V, V, V, V, V, V, V) {
        let raw = UnsafeRawPointer(source)
        @inline(__always) func row(_ i: Int) -> V {
            raw.loadUnaligned(fromByteOffset: min(i, count - 1) * stride * 4, as: V.self)
        }
        // Interleave pairs of rows, then pairs of pairs (as 64-bit units): each 128-bit lane
        // then holds 4-row columns; the last step joins the lanes of rows 0-3 and 4-7.
        let t0 = _mm256_unpacklo_ps(row(0), row(1)), t1 = _mm256_unpackhi_ps(row(0), row(1))
        let t2 = _mm256_unpacklo_ps(row(2), row(3)), t3 = _mm256_unpackhi_ps(row(2), row(3))
        let t4 = _mm256_unpacklo_ps(row(4), row(5)), t5 = _mm256_unpackhi_ps(row(4), row(5))
        let t6 = _mm256_unpacklo_ps(row(6), row(7)), t7 = _mm256_unpackhi_ps(row(6), row(7))
        let u0 = pairs(t0, t2, high: false), u1 = pairs(t0, t2, high: true)
        let u2 = pairs(t1, t3, high: false), u3 = pairs(t1, t3, high: true)
        let u4 = pairs(t4, t6, high: false), u5 = pairs(t4, t6, high: true)
        let u6 = pairs(t5, t7, high: false), u7 = pairs(t5, t7, high: true)
        return (
            V(lowHalf: u0.lowHalf, highHalf: u4.lowHalf), V(lowHalf: u1.lowHalf, highHalf: u5.lowHalf),
            V(lowHalf: u2.lowHalf, highHalf: u6.lowHalf), V(lowHalf: u3.lowHalf, highHalf: u7.lowHalf),
            V(lowHalf: u0.highHalf, highHalf: u4.highHalf), V(lowHalf: u1.highHalf, highHalf: u5.highHalf),
            V(lowHalf: u2.highHalf, highHalf: u6.highHalf), V(lowHalf: u3.highHalf, highHalf: u7.highHalf)
        )
    }

    /// Interleaves the 64-bit halves of each 128-bit lane of `a` and `b` (`vunpck{l,h}pd`).
    @inline(__always)
    private static func pairs(_ a: V, _ b: V, high: Bool) -> V {
        let x = _mm256_castps_pd(a), y = _mm256_castps_pd(b)
        return _mm256_castpd_ps(high ? _mm256_unpackhi_pd(x, y) : _mm256_unpacklo_pd(x, y))
    }
}
