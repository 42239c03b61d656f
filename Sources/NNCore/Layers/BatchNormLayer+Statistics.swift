/// The per-block sums behind `BatchNormLayer.prepareStatistics`: a batch of conv features is
/// read once per block here, eight features to a vector.
extension BatchNormLayer {
    /// One block's statistics into `partial` (2·F zeros to start with): its mean in the first
    /// F, its centred sum of squares in the next F.
    static func addStatistics(
        _ x: UnsafePointer<Float>, rows block: Range<Int>, features f: Int, into partial: UnsafeMutablePointer<Float>
    ) {
        let blockMean = partial, blockSquares = partial + f
        Im2Col.addRows(x + block.lowerBound * f, rows: block.count, width: f, into: blockMean)
        for j in 0..<f { blockMean[j] /= Float(block.count) }
        // The same shape as `Im2Col.addRows`, with each block's means held in registers beside
        // its sums: per feature the operations of the scalar loop that finishes the row.
        typealias V = SIMD8<Float>
        var j = 0
        // Four vectors a pass, so that four running sums wait on their additions side by side.
        while j + 32 <= f {
            @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
                UnsafeRawPointer(p + 8 * i).loadUnaligned(as: V.self)
            }
            let (m0, m1, m2, m3) = (
                load(blockMean + j, 0), load(blockMean + j, 1), load(blockMean + j, 2), load(blockMean + j, 3)
            )
            var (s0, s1, s2, s3) = (
                load(blockSquares + j, 0), load(blockSquares + j, 1), load(blockSquares + j, 2),
                load(blockSquares + j, 3)
            )
            for row in block {
                let xs = x + row * f + j
                let (d0, d1, d2, d3) = (load(xs, 0) - m0, load(xs, 1) - m1, load(xs, 2) - m2, load(xs, 3) - m3)
                s0 += d0 * d0
                s1 += d1 * d1
                s2 += d2 * d2
                s3 += d3 * d3
            }
            let out = UnsafeMutableRawPointer(blockSquares + j)
            out.storeBytes(of: s0, as: V.self)
            out.storeBytes(of: s1, toByteOffset: 32, as: V.self)
            out.storeBytes(of: s2, toByteOffset: 64, as: V.self)
            out.storeBytes(of: s3, toByteOffset: 96, as: V.self)
            j += 32
        }
        while j + 8 <= f {
            let m = UnsafeRawPointer(blockMean + j).loadUnaligned(as: V.self)
            var squares = UnsafeRawPointer(blockSquares + j).loadUnaligned(as: V.self)
            for row in block {
                let d = UnsafeRawPointer(x + row * f + j).loadUnaligned(as: V.self) - m
                squares += d * d
            }
            UnsafeMutableRawPointer(blockSquares + j).storeBytes(of: squares, as: V.self)
            j += 8
        }
        for row in block {
            let xs = x + row * f
            for tail in j..<f {
                let d = xs[tail] - blockMean[tail]
                blockSquares[tail] += d * d
            }
        }
    }
}
