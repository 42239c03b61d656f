/// How an inference step splits a batch's rows between threads: in whole panels of
/// `Gemm.mr` rows, chunks of about `panelsPerChunk` panels, the same number of chunks for
/// every thread (on one thread, chunks of exactly `panelsPerChunk`).
///
/// Why panels and not 12-row tiles: 256 rows are 21⅓ tiles, so tile chunks leave one thread
/// a tile more than the other (12 against 10 tiles, 9 % of the batch); in panels the two
/// shares differ by 6 rows. Which rows a chunk holds never changes their bits: the packed
/// micro-kernel sums each row alone.
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
            (first, last) = (panels * chunk / count * Gemm.mr, panels * (chunk + 1) / count * Gemm.mr)
        }
        return min(first, rows)..<min(last, rows)
    }
}
