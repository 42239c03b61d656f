/// A right-hand GEMM operand packed once and multiplied many times: the recurrent weights,
/// which the step loop of a recurrent layer multiplies at every one of T steps. Packing them
/// per call would cost about as much as the product itself at these sizes.
///
/// Shape legend: the logical B is [k, n], stored [k, n] (`.nn`) or [n, k] (`.nt`). The panels
/// are laid out exactly as `Gemm` packs them per depth block of `Gemm.kc`, and the product
/// walks the same blocks with the same micro-kernel, so `multiply` gives the bits of
/// `Gemm.multiply` for any m of at least `Gemm.mr` rows (below that `Gemm` takes another path).
public final class PackedMatrix {
    public let n: Int
    public let k: Int
    private let columnPanels: Int
    private let storage = FloatBuffer()

    public init(n: Int, k: Int) {
        precondition(n > 0 && k > 0)
        self.n = n
        self.k = k
        columnPanels = (n + Gemm.nr - 1) / Gemm.nr
    }

    /// Packs B (form `.nn`: stored [k, n]; `.nt`: stored [n, k]) into this operand.
    public func pack(_ form: GemmForm, b: UnsafePointer<Float>) {
        precondition(form != .tn, "B is never transposed-A")
        let out = storage.reserve(columnPanels * Gemm.nr * k)
        var depth = 0
        while depth < k {
            let depths = depth..<min(k, depth + Gemm.kc)
            GemmPacking.packB(form, b: b, n: n, k: k, columns: 0..<n, depths: depths,
                              into: out + columnPanels * Gemm.nr * depth)
            depth += Gemm.kc
        }
    }

    /// C[m, n] (+)= A[m, k] · B, A row-major [m, k], on the calling thread.
    public func multiply(a: UnsafePointer<Float>, m: Int, c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard m > 0 else { return }
        let packedB = storage.pointer
        ScratchPool.shared.withBuffer(count: Gemm.mc * Gemm.kc) { packedA in
            var depth = 0
            while depth < k {
                let depths = depth..<min(k, depth + Gemm.kc)
                let depthCount = depths.count
                let add = accumulate || depth > 0
                let bBlock = packedB + columnPanels * Gemm.nr * depth
                var rowStart = 0
                while rowStart < m {
                    let rowBlock = rowStart..<min(m, rowStart + Gemm.mc)
                    GemmPacking.packA(.nn, a: a, m: m, k: k, rows: rowBlock, depths: depths, into: packedA)
                    for panel in 0..<columnPanels {
                        let column = panel * Gemm.nr
                        var row = rowBlock.lowerBound
                        var aPanel = UnsafePointer(packedA)
                        while row < rowBlock.upperBound {
                            GemmMicroKernel.run(kc: depthCount, a: aPanel, b: bBlock + panel * Gemm.nr * depthCount,
                                                c: c + row * n + column, ldc: n,
                                                rows: min(Gemm.mr, rowBlock.upperBound - row),
                                                cols: min(Gemm.nr, n - column), accumulate: add)
                            aPanel += Gemm.mr * depthCount
                            row += Gemm.mr
                        }
                    }
                    rowStart += Gemm.mc
                }
                depth += Gemm.kc
            }
        }
    }
}
