/// One image on several threads, for a batch of one (images in parallel would leave all but
/// one thread idle): the image is padded once, then each thread computes a band of output rows
/// with the im2col-free path, and pools and rectifies its own rows.
///
/// Only for layers of at least `ImplicitConvolution.isLarge` work. Bands do not overlap when
/// pool windows do not (pool height ≤ stride), so every band writes
/// its own rows only; otherwise images are not split. Each output's sums are the same in any
/// band (see `ImplicitConvolution.convolve`), so the bits do not depend on the thread count.
extension FusedConvolution {
    var splitsImages: Bool {
        guard implicit != nil && ImplicitConvolution.isLarge(geometry) else { return false }
        guard let pool else { return true }
        return pool.pool.height <= pool.stride.height
    }

    func forwardInBands(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, threads: Int) {
        guard let implicit else { preconditionFailure("bands need the im2col-free path") }
        let g = geometry, pool = pool, relu = relu, outC = g.outputChannels, width = g.outputWidth
        let bands = min(threads, pool?.outputHeight ?? g.outputHeight)
        let convSize = g.outputPixels * outC
        ScratchPool.shared.withBuffer(count: implicit.scratchCount + (pool == nil ? 0 : convSize)) { scratch in
            implicit.pad(x, scratch: scratch)
            let convolved = pool == nil ? y : scratch + implicit.scratchCount
            Parallel.forEach(chunks: bands, threads: threads) { band in
                guard let pool else {
                    let rows = Self.share(band, of: bands, count: g.outputHeight)
                    implicit.convolve(outputRows: rows, y: y, scratch: scratch)
                    if relu { Self.relu(y + rows.lowerBound * width * outC, count: rows.count * width * outC) }
                    return
                }
                let pooledRows = Self.share(band, of: bands, count: pool.outputHeight)
                let (sh, sw) = (pool.stride.height, pool.stride.width)
                let lastRow = min(g.outputHeight, (pooledRows.upperBound - 1) * sh + pool.pool.height)
                let convRows = (pooledRows.lowerBound * sh)..<lastRow
                implicit.convolve(outputRows: convRows, y: convolved, scratch: scratch)
                // Vector reads past a window stop at the band's own rows.
                let end = UnsafePointer(convolved + convRows.upperBound * width * outC)
                let pooledWidth = pool.outputWidth
                for py in pooledRows {
                    for px in 0..<pooledWidth {
                        MaxPool2DLayer.maximum(
                            convolved, taps: pool, firstTap: (py * sh * width + px * sw) * outC, end: end,
                            into: y + (py * pooledWidth + px) * outC, winners: nil)
                    }
                }
                if relu {
                    Self.relu(
                        y + pooledRows.lowerBound * pooledWidth * outC, count: pooledRows.count * pooledWidth * outC
                    )
                }
            }
        }
    }

    /// Band `band` of `bands` near-equal parts of 0..<count.
    static func share(_ band: Int, of bands: Int, count: Int) -> Range<Int> {
        (band * count / bands)..<((band + 1) * count / bands)
    }
}
