/// Which operands of a GEMM are transposed. All matrices are row-major and contiguous.
///
/// - `nn`: C[m, n] (+)= A[m, k] · B[k, n]
/// - `tn`: C[m, n] (+)= Aᵀ · B with A stored as [k, m]
/// - `nt`: C[m, n] (+)= A · Bᵀ with B stored as [n, k]
public enum GemmForm: String, CaseIterable, Sendable {
    case nn, tn, nt

    /// Element (row, depth) of the logical A[m, k].
    @inline(__always)
    func aIndex(row: Int, depth: Int, m: Int, k: Int) -> Int {
        self == .tn ? depth * m + row : row * k + depth
    }

    /// Element (depth, column) of the logical B[k, n].
    @inline(__always)
    func bIndex(depth: Int, column: Int, n: Int, k: Int) -> Int {
        self == .nt ? column * k + depth : depth * n + column
    }
}
