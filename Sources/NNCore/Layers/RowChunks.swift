/// How an inference step splits a batch's rows between threads: chunks of about
/// `panelsPerChunk` panels of `Gemm.mr` rows, the same number of chunks for every thread, cut
/// at multiples of 4 rows (on one thread, chunks of exactly `panelsPerChunk` panels).
///
/// Why 4 rows and not 12-row tiles or 6-row panels: 256 rows are 21⅓ tiles, so tile chunks
/// leave one thread a tile more than the other (12 against 10 tiles, 9 % of the batch), and
/// panels 132 rows against 124 (11 tiles against 10⅓); in 4-row steps each thread gets 128
/// rows, 10 tiles and one 8 rows high (the micro-kernels come 4, 6, 8 and 12 rows high).
/// Which rows a chunk holds never changes their bits: the micro-kernel sums each row alone.
struct RowChunks {
    let rows: Int
    /// 1 when the work is too small to be worth a second thread.
    let threads: Int
    let count: Int
    private let panels: Int

    private let panelsPerChunk: Int

    /// `work` is the step's multiply-adds, compared with `Gemm.parallelMin`.
    init(rows: Int, work: Int, threads: Int, panelsPerChunk: Int = 8) {
        self.rows = rows
        self.threads = work < Gemm.parallelMin ? 1 : max(1, threads)
        self.panelsPerChunk = panelsPerChunk
        panels = (rows + Gemm.mr - 1) / Gemm.mr
        let perThread = max(1, (panels + panelsPerChunk * self.threads - 1) / (panelsPerChunk * self.threads))
        count = max(1, min(panels, perThread * self.threads))
    }

    subscript(chunk: Int) -> Range<Int> {
        let first: Int, last: Int
        if threads == 1 {
            (first, last) = (chunk * panelsPerChunk * Gemm.mr, (chunk + 1) * panelsPerChunk * Gemm.mr)
        } else {
            let quads = (rows + 3) / 4
            (first, last) = (quads * chunk / count * 4, quads * (chunk + 1) / count * 4)
        }
        return min(first, rows)..<min(last, rows)
    }
}
