/// The fast single-precision GEMM used by every layer: packed panels, a 6×16 SIMD
/// micro-kernel and cache blocking over depth (`kc`) and rows (`mc`), parallel over the
/// larger output dimension.
///
/// Shape legend: C is [m, n]; the logical A is [m, k] and B is [k, n] (see `GemmForm` for
/// the stored layouts). Each element of C is computed by one thread with a depth order that
/// depends only on the fixed block sizes, so results are bit-identical for any thread count.
public enum Gemm {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    static let mc = 72
    /// Columns per packed B block: kc × nc floats (256 KiB) stay in a 512 KiB L2 beside the
    /// packed A block, instead of streaming from L3 once per row block.
    static let nc = 256

    /// C (+)= op(A) · op(B).
    public static func multiply(_ form: GemmForm, m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int = 1) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { c.update(repeating: 0, count: m * n) }
            return
        }
        if m < mr {
            SmallGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: c, accumulate: accumulate)
            return
        }
        let flops = m * n * k
        // Below about 2 MFLOP (tens of microseconds) waking a second thread costs more than it saves.
        let workers = flops < 2_000_000 ? 1 : max(1, threads)
        let rowPanels = (m + mr - 1) / mr
        let columnPanels = (n + nr - 1) / nr
        if columnPanels >= rowPanels {
            let chunks = min(workers, columnPanels)
            Parallel.forEach(chunks: chunks, threads: workers) { chunk in
                let first = columnPanels * chunk / chunks, last = columnPanels * (chunk + 1) / chunks
                block(form, m: m, n: n, k: k, a: a, b: b, c: c, accumulate: accumulate,
                      rows: 0..<m, columns: (first * nr)..<min(n, last * nr))
            }
        } else {
            let chunks = min(workers, rowPanels)
            Parallel.forEach(chunks: chunks, threads: workers) { chunk in
                let first = rowPanels * chunk / chunks, last = rowPanels * (chunk + 1) / chunks
                block(form, m: m, n: n, k: k, a: a, b: b, c: c, accumulate: accumulate,
                      rows: (first * mr)..<min(m, last * mr), columns: 0..<n)
            }
        }
    }

    /// Array convenience for tests and benchmarks.
    public static func multiply(_ form: GemmForm, m: Int, n: Int, k: Int, a: [Float], b: [Float],
                                c: inout [Float], accumulate: Bool, threads: Int = 1) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "GEMM operand too small")
        guard m > 0, n > 0 else { return }
        // An empty operand (k == 0) has no base address; any valid pointer will do then.
        let placeholder: [Float] = [0]
        (a.isEmpty ? placeholder : a).withUnsafeBufferPointer { a in
            (b.isEmpty ? placeholder : b).withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    multiply(form, m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!,
                             c: c.baseAddress!, accumulate: accumulate, threads: threads)
                }
            }
        }
    }

    /// One thread's share: the output rectangle rows × columns, over all depths, in column
    /// blocks of at most `nc`. Blocking changes no element's order of accumulation.
    private static func block(_ form: GemmForm, m: Int, n: Int, k: Int,
                              a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                              c: UnsafeMutablePointer<Float>, accumulate: Bool,
                              rows: Range<Int>, columns: Range<Int>) {
        let bSize = min(columns.count + nr, nc) * kc
        let aSize = mc * kc
        ScratchPool.shared.withBuffer(count: bSize + aSize) { scratch in
            var columnStart = columns.lowerBound
            while columnStart < columns.upperBound {
                let columnBlock = columnStart..<min(columns.upperBound, columnStart + nc)
                blockColumns(form, m: m, n: n, k: k, a: a, b: b, c: c, accumulate: accumulate,
                             rows: rows, columns: columnBlock, packedB: scratch, packedA: scratch + bSize)
                columnStart += nc
            }
        }
    }

    private static func blockColumns(_ form: GemmForm, m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                     c: UnsafeMutablePointer<Float>, accumulate: Bool,
                                     rows: Range<Int>, columns: Range<Int>,
                                     packedB: UnsafeMutablePointer<Float>, packedA: UnsafeMutablePointer<Float>) {
        let columnPanels = (columns.count + nr - 1) / nr
        var depth = 0
        while depth < k {
            let depths = depth..<min(k, depth + kc)
            let depthCount = depths.count
            let add = accumulate || depth > 0
            GemmPacking.packB(form, b: b, n: n, k: k, columns: columns, depths: depths, into: packedB)
            var rowStart = rows.lowerBound
            while rowStart < rows.upperBound {
                let rowBlock = rowStart..<min(rows.upperBound, rowStart + mc)
                GemmPacking.packA(form, a: a, m: m, k: k, rows: rowBlock, depths: depths, into: packedA)
                for panel in 0..<columnPanels {
                    let column = columns.lowerBound + panel * nr
                    let cols = min(nr, columns.upperBound - column)
                    let bPanel = packedB + panel * nr * depthCount
                    var row = rowBlock.lowerBound
                    var aPanel = UnsafePointer(packedA)
                    while row < rowBlock.upperBound {
                        GemmMicroKernel.run(kc: depthCount, a: aPanel, b: bPanel,
                                            c: c + row * n + column, ldc: n,
                                            rows: min(mr, rowBlock.upperBound - row), cols: cols,
                                            accumulate: add)
                        aPanel += mr * depthCount
                        row += mr
                    }
                }
                rowStart += mc
            }
            depth += kc
        }
    }
}
