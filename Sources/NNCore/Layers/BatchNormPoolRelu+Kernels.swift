/// The per-window and per-sample loops of `BatchNormPoolRelu`, eight channels at a time.
extension BatchNormPoolRelu {
    typealias V = SIMD8<Float>
    typealias I = SIMD8<Int32>

    /// The batch norm as z = (x − mean)·scale + shift per channel (`BatchNormLayer`'s formula
    /// and rounding), from one buffer laid out [mean | scale | shift].
    struct Affine {
        let mean: UnsafePointer<Float>
        let scale: UnsafePointer<Float>
        let shift: UnsafePointer<Float>

        init(_ coefficients: UnsafePointer<Float>, channels: Int) {
            (mean, scale, shift) = (coefficients, coefficients + channels, coefficients + 2 * channels)
        }
    }

    /// dx = a·dz − b − c·(x − mean) per channel, from one buffer laid out [a | b | c]
    /// (`BatchNormLayer.accumulateGradients`).
    struct GradientTerms {
        let a: UnsafePointer<Float>
        let b: UnsafePointer<Float>
        let c: UnsafePointer<Float>

        init(_ coefficients: UnsafePointer<Float>, channels: Int) {
            (a, b, c) = (coefficients, coefficients + channels, coefficients + 2 * channels)
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    /// One output pixel: per channel the window's largest normalised value (the first of equal
    /// taps in (ky, kx) order wins, as in `MaxPool2DLayer`), through ReLU into y, and the
    /// winner's offset in the sample into `winners`.
    @inline(__always)
    static func window(
        _ xs: UnsafePointer<Float>, _ p: PoolGeometry, firstTap: Int, _ affine: Affine,
        y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>,
        winnerInputs: UnsafeMutablePointer<Float>
    ) {
        let c = p.channels
        var ch = 0
        let lanes = I(0, 1, 2, 3, 4, 5, 6, 7)
        while ch + 8 <= c {
            let mean = load(affine.mean + ch), scale = load(affine.scale + ch), shift = load(affine.shift + ch)
            var input = load(xs + firstTap + ch)
            var best = (input - mean) * scale + shift
            var index = I(repeating: Int32(firstTap + ch)) &+ lanes
            p.forEachTap(from: firstTap) { tap in
                let raw = load(xs + tap + ch)
                let value = (raw - mean) * scale + shift
                let wins = value .> best
                best.replace(with: value, where: wins)
                input.replace(with: raw, where: wins)
                index.replace(with: I(repeating: Int32(tap + ch)) &+ lanes, where: wins)
            }
            var relu = V()
            relu.replace(with: best, where: best .> 0)
            UnsafeMutableRawPointer(y + ch).storeBytes(of: relu, as: V.self)
            UnsafeMutableRawPointer(winners + ch).storeBytes(of: index, as: I.self)
            UnsafeMutableRawPointer(winnerInputs + ch).storeBytes(of: input, as: V.self)
            ch += 8
        }
        while ch < c {
            let (mean, scale, shift) = (affine.mean[ch], affine.scale[ch], affine.shift[ch])
            var best = (xs[firstTap + ch] - mean) * scale + shift, index = firstTap + ch
            p.forEachTap(from: firstTap) { tap in
                let value = (xs[tap + ch] - mean) * scale + shift
                if value > best { (best, index) = (value, tap + ch) }
            }
            y[ch] = best > 0 ? best : 0
            winners[ch] = Int32(index)
            winnerInputs[ch] = xs[index]
            ch += 1
        }
    }

    /// One output pixel's terms of Σdz and Σdz·(x − mean), into partial[0..<C] and
    /// partial[C..<2C], with dz = dy where y > 0 (else 0) at the winner.
    @inline(__always)
    static func addSums(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, winnerInputs wx: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, channels c: Int, into partial: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 8 <= c {
            var g = V()
            g.replace(with: load(dy + j), where: load(y + j) .> 0)
            let s1 = load(partial + j) + g, s2 = load(partial + c + j) + g * (load(wx + j) - load(mean + j))
            UnsafeMutableRawPointer(partial + j).storeBytes(of: s1, as: V.self)
            UnsafeMutableRawPointer(partial + c + j).storeBytes(of: s2, as: V.self)
            j += 8
        }
        while j < c {
            let g = y[j] > 0 ? dy[j] : 0
            partial[j] += g
            partial[c + j] += g * (wx[j] - mean[j])
            j += 1
        }
    }

    /// dx = a·0 − b − c·(x − mean) over a whole sample: the batch norm's input gradient where
    /// its output gradient is zero, which is everywhere but the winners.
    @inline(__always)
    static func gradientWithoutWinners(
        _ xs: UnsafePointer<Float>, _ dxs: UnsafeMutablePointer<Float>, pixels: Int, channels c: Int,
        mean: UnsafePointer<Float>, _ k: GradientTerms
    ) {
        for pixel in 0..<pixels {
            let x = xs + pixel * c, dx = dxs + pixel * c
            var j = 0
            while j + 8 <= c {
                let value = (V() - load(k.b + j)) - load(k.c + j) * (load(x + j) - load(mean + j))
                UnsafeMutableRawPointer(dx + j).storeBytes(of: value, as: V.self)
                j += 8
            }
            while j < c {
                dx[j] = (0 - k.b[j]) - k.c[j] * (x[j] - mean[j])
                j += 1
            }
        }
    }

    /// dx over one output pixel's window, for pools whose windows tile the image: at every tap
    /// a·dz − b − c·(x − mean), with dz = dy where y > 0 at the winner and 0 elsewhere; the
    /// expressions of `gradientWithoutWinners` and `gradientAtWinners`, so the same bits, in one
    /// pass over dx instead of a pass and a scatter.
    @inline(__always)
    static func gradientOverWindow(
        _ xs: UnsafePointer<Float>, _ dxs: UnsafeMutablePointer<Float>, _ p: PoolGeometry, firstTap: Int,
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, winners: UnsafePointer<Int32>,
        mean: UnsafePointer<Float>, _ k: GradientTerms
    ) {
        let c = p.channels
        let lanes = I(0, 1, 2, 3, 4, 5, 6, 7)
        var ch = 0
        while ch + 8 <= c {
            let b = load(k.b + ch), slope = load(k.c + ch), m = load(mean + ch)
            var g = V()
            g.replace(with: load(dy + ch), where: load(y + ch) .> 0)
            let atWinner = load(k.a + ch) * g
            let winner = UnsafeRawPointer(winners + ch).loadUnaligned(as: I.self)
            p.forEachTap(from: firstTap, includingFirst: true) { tap in
                var first = V()
                first.replace(with: atWinner, where: I(repeating: Int32(tap + ch)) &+ lanes .== winner)
                let value = (first - b) - slope * (load(xs + tap + ch) - m)
                UnsafeMutableRawPointer(dxs + tap + ch).storeBytes(of: value, as: V.self)
            }
            ch += 8
        }
        while ch < c {
            let g = y[ch] > 0 ? dy[ch] : 0
            let atWinner = k.a[ch] * g, winner = Int(winners[ch])
            p.forEachTap(from: firstTap, includingFirst: true) { tap in
                let first: Float = tap + ch == winner ? atWinner : 0
                dxs[tap + ch] = (first - k.b[ch]) - k.c[ch] * (xs[tap + ch] - mean[ch])
            }
            ch += 1
        }
    }

    /// dx at one output pixel's winners: a·dz − b − c·(x − mean) with dz = dy where y > 0.
    @inline(__always)
    static func gradientAtWinners(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, winners: UnsafePointer<Int32>,
        winnerInputs wx: UnsafePointer<Float>, mean: UnsafePointer<Float>, _ k: GradientTerms, channels c: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<c {
            let g = y[j] > 0 ? dy[j] : 0
            dx[Int(winners[j])] = k.a[j] * g - k.b[j] - k.c[j] * (wx[j] - mean[j])
        }
    }
}
