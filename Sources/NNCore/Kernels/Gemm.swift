/// The fast single-precision GEMM used by every layer: packed panels, a 6×16 (AVX2) or 6×32
/// (AVX-512) SIMD micro-kernel (`TileKernels`, chosen by `KernelISA`) and cache blocking over columns (`nc`), depth (`kc`) and rows (`mg`), on a
/// team of threads that pack the shared operands together.
///
/// Shape legend: C is [m, n]; the logical A is [m, k] and B is [k, n] (see `GemmForm` for
/// the stored layouts). Each element of C is computed by one thread with a depth order that
/// depends only on the fixed block sizes, so results are bit-identical for any thread count.
public enum Gemm {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    /// Rows per packed A group: mg × kc floats (256 KiB) stay in L2 while the group's tiles
    /// are computed; the whole group is shared by the team.
    static let mg = 256
    /// Columns per packed B block: kc × nc floats (512 KiB). The micro-kernel walks a row of
    /// tiles, so only one B panel (kc × nr) at a time needs to be near, and C is written along
    /// its rows. Two threads each read half a block; at 1024 columns those halves no longer
    /// stayed in L2 beside the A group (512³ on 2 threads: about 135 → 145 GFLOP/s).
    static let nc = 512
    /// Below this many multiply-adds (m·n·k, about 10 µs on one thread) handing half to a
    /// second thread saves less than it risks when that thread's core is busy.
    static let parallelMin = 400_000

    /// C (+)= op(A) · op(B).
    public static func multiply(
        _ form: GemmForm, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int = 1
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if m < mr {
            SmallGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: c, accumulate: accumulate, threads: threads)
            return
        }
        let members = m * n * k < parallelMin ? 1 : max(1, threads)
        let layout = GemmBlocks(form: form, m: m, n: n, k: k, copies: members > 1 ? 2 : 1)
        let kernels = TileKernels()
        ScratchPool.shared.withBuffer(count: layout.scratchCount) { scratch in
            Parallel.team(threads: members) { team in
                layout.run(team: team, kernels: kernels, a: a, b: b, c: c, accumulate: accumulate, scratch: scratch)
            }
        }
    }

    /// Array convenience for tests and benchmarks.
    public static func multiply(
        _ form: GemmForm, m: Int, n: Int, k: Int, a: [Float], b: [Float],
        c: inout [Float], accumulate: Bool, threads: Int = 1
    ) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "GEMM operand too small")
        guard m > 0, n > 0 else { return }
        // An empty operand (k == 0) has no base address; any valid pointer will do then.
        let placeholder: [Float] = [0]
        (a.isEmpty ? placeholder : a).withUnsafeBufferPointer { a in
            (b.isEmpty ? placeholder : b).withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    multiply(
                        form, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!,
                        c: c.baseAddress!, accumulate: accumulate, threads: threads)
                }
            }
        }
    }
}
