/// Fixed blocks of rows for per-feature reductions and row-wise passes over `[M, F]` data,
/// run on several threads.
///
/// The blocks depend only on M and F, never on the thread count, and block sums are added
/// in block order, so the bits of every sum are the same on 1 or 2 threads.
struct RowBlocks {
    let rows: Int
    let rowsPerBlock: Int
    let count: Int

    /// Blocks of about 16K values: large enough to amortise a thread hand-off, small
    /// enough that a batch of conv features gives each core several.
    init(rows: Int, features: Int) {
        self.rows = rows
        rowsPerBlock = max(1, 16_384 / max(features, 1))
        count = (rows + rowsPerBlock - 1) / rowsPerBlock
    }

    func range(_ block: Int) -> Range<Int> {
        (block * rowsPerBlock)..<min(rows, (block + 1) * rowsPerBlock)
    }

    /// Runs `body(rows)` for every block, on up to `threads` threads.
    func forEach(threads: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forEach(chunks: count, threads: threads) { body(range($0)) }
    }

    /// Per-feature sums: `body(rows, partial)` adds its block's terms into `partial` (`width`
    /// zeros to start with); the blocks' partials are then added in order into `total`.
    func sum(
        width: Int, into total: UnsafeMutablePointer<Float>, threads: Int,
        _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        total.update(repeating: 0, count: width)
        reduce(width: width, threads: threads, body) { _, partial in Im2Col.add(partial, into: total, count: width) }
    }

    /// `body(rows, partial)` fills each block's `partial` (`width` zeros to start with), on
    /// up to `threads` threads; then `combine(rows, partial)` takes the blocks in order on the
    /// calling thread.
    func reduce(
        width: Int, threads: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void,
        combine: (Range<Int>, UnsafePointer<Float>) -> Void
    ) {
        guard count > 0 else { return }
        ScratchPool.shared.withBuffer(count: count * width) { partials in
            forEach(threads: threads) { rows in
                let partial = partials + (rows.lowerBound / rowsPerBlock) * width
                partial.update(repeating: 0, count: width)
                body(rows, partial)
            }
            for block in 0..<count { combine(range(block), partials + block * width) }
        }
    }
}
