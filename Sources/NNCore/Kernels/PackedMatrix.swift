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
            GemmPacking.packB(
                form, b: b, n: n, k: k, columns: 0..<n, depths: depths,
                into: out + columnPanels * Gemm.nr * depth)
            depth += Gemm.kc
        }
    }

    /// C[m, n] (+)= A[m, k] · B, A row-major with rows `lda` (default k) apart, on the calling thread. A is read in
    /// place (`TileKernels.inPlace`); depths go in blocks of `Gemm.kc` as in `Gemm`.
    public func multiply(
        a: UnsafePointer<Float>, m: Int, c: UnsafeMutablePointer<Float>, accumulate: Bool, lda: Int? = nil
    ) {
        guard m > 0 else { return }
        let lda = lda ?? k
        let kernels = TileKernels(), step = kernels.panelsPerTile, rowStep = Gemm.mr * kernels.rowPanelsPerTile
        var depth = 0
        while depth < k {
            let depthCount = min(k, depth + Gemm.kc) - depth
            let add = accumulate || depth > 0
            let bBlock = storage.pointer + columnPanels * Gemm.nr * depth
            if m == 1 {
                // One row (a batch of one): no tile rows computed only to be dropped.
                kernels.oneRow(kc: depthCount, a: a + depth, b: bBlock, c: c, cols: n, accumulate: add)
                depth += Gemm.kc
                continue
            }
            var row = 0
            while row < m {
                let rows = min(rowStep, m - row)
                for panel in stride(from: 0, to: columnPanels, by: step) {
                    let column = panel * Gemm.nr
                    kernels.inPlace(
                        kc: depthCount, a: a + row * lda + depth, lda: lda, b: bBlock + panel * Gemm.nr * depthCount,
                        panels: min(step, columnPanels - panel), c: c + row * n + column, ldc: n, rows: rows,
                        cols: min(step * Gemm.nr, n - column), accumulate: add)
                }
                row += rowStep
            }
            depth += Gemm.kc
        }
    }
}
