/// GEMM for fewer rows than one micro-kernel panel (m < 6): the one-sample inference path.
/// Packing would cost as much as the product, so it works on the operands where they lie,
/// vectorised along the contiguous axis.
///
/// With B stored [n, k] (a dense layer's weight) every element of C is one dot product, so a
/// large product is split by columns between threads: each thread reads only its part of the
/// weight (W1's first layer, 784 KB, is about an L2 cache; half of it fits), and an element's
/// sum does not depend on who computes it.
enum SmallGemm {
    /// Multiply-adds from which a column split pays for handing half to a second thread.
    static let parallelMin = 65_536
    /// Columns per chunk of that split: a few per thread, whole vectors of C.
    static let chunkColumns = 32

    static func multiply(
        _ form: GemmForm, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int = 1
    ) {
        if form == .nt && threads > 1 && m * n * k >= parallelMin && n >= 2 * chunkColumns {
            let chunks = (n + chunkColumns - 1) / chunkColumns
            Parallel.forEach(chunks: chunks, threads: threads) { chunk in
                let first = chunk * chunkColumns, count = min(chunkColumns, n - first)
                multiplyNT(m: m, n: n, k: k, a: a, b: b, c: c, columns: first..<(first + count), accumulate: accumulate)
            }
            return
        }
        if form == .nt {
            multiplyNT(m: m, n: n, k: k, a: a, b: b, c: c, columns: 0..<n, accumulate: accumulate)
            return
        }
        for i in 0..<m {
            let cRow = c + i * n
            // C[i, :] = Σ_p A[i, p] · B[p, :], streaming rows of B.
            if !accumulate { cRow.update(repeating: 0, count: n) }
            for p in 0..<k {
                let scale = form == .tn ? a[p * m + i] : a[i * k + p]
                axpy(scale, b + p * n, cRow, count: n)
            }
        }
    }

    /// Columns `columns` of C (+)= A · Bᵀ, B stored [n, k].
    private static func multiplyNT(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, columns: Range<Int>, accumulate: Bool
    ) {
        for i in 0..<m {
            let cRow = c + i * n, aRow = a + i * k
            for j in columns {
                let dot = dotProduct(aRow, b + j * k, count: k)
                cRow[j] = accumulate ? cRow[j] + dot : dot
            }
        }
    }

    @inline(__always)
    static func dotProduct(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var p = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        while p + 32 <= count {
            s0.addProduct(
                rx.loadUnaligned(fromByteOffset: p * 4, as: V.self),
                ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            s1.addProduct(
                rx.loadUnaligned(fromByteOffset: p * 4 + 32, as: V.self),
                ry.loadUnaligned(fromByteOffset: p * 4 + 32, as: V.self))
            s2.addProduct(
                rx.loadUnaligned(fromByteOffset: p * 4 + 64, as: V.self),
                ry.loadUnaligned(fromByteOffset: p * 4 + 64, as: V.self))
            s3.addProduct(
                rx.loadUnaligned(fromByteOffset: p * 4 + 96, as: V.self),
                ry.loadUnaligned(fromByteOffset: p * 4 + 96, as: V.self))
            p += 32
        }
        while p + 8 <= count {
            s0.addProduct(
                rx.loadUnaligned(fromByteOffset: p * 4, as: V.self),
                ry.loadUnaligned(fromByteOffset: p * 4, as: V.self))
            p += 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while p < count {
            sum += x[p] * y[p]
            p += 1
        }
        return sum
    }

    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        let va = V(repeating: alpha)
        var j = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while j + 8 <= count {
            var acc = ry.loadUnaligned(fromByteOffset: j * 4, as: V.self)
            acc.addProduct(va, rx.loadUnaligned(fromByteOffset: j * 4, as: V.self))
            ry.storeBytes(of: acc, toByteOffset: j * 4, as: V.self)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }
}
