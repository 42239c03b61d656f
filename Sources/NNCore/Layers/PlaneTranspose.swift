/// The channel-rows layout's moves between planes `[O, P]` and pixels `[P, O]` for one image,
/// eight pixels at a time through `Transpose8x8` where O ≤ 8 (LeNet's first layer: O = 6,
/// P = 784), instead of one scalar move per value.
///
/// Each value gets the same operations in the same order as in the scalar loops that finish
/// each pass, so the bits do not depend on which loop moved it. The vector loops write whole
/// 8-float rows, so they stop while the next row's store still lands inside the image (the
/// lanes past O are overwritten by the next pixel's row).
enum PlaneTranspose {
    typealias V = SIMD8<Float>

    /// Pixels p..<p+8 may go as vectors when p + 8 ≤ P and the last of their rows ends inside
    /// the image.
    @inline(__always)
    private static func vectorEnd(pixels: Int, channels c: Int) -> Int {
        guard c <= 8 else { return 0 }
        var end = 0
        while end + 8 <= pixels && (end + 7) * c + 8 <= pixels * c { end += 8 }
        return end
    }

    /// Calls `body(column, q)` for the eight columns of a transpose, in order.
    @inline(__always)
    private static func forEach(_ columns: (V, V, V, V, V, V, V, V), _ body: (V, Int) -> Void) {
        body(columns.0, 0)
        body(columns.1, 1)
        body(columns.2, 2)
        body(columns.3, 3)
        body(columns.4, 4)
        body(columns.5, 5)
        body(columns.6, 6)
        body(columns.7, 7)
    }

    /// y[p, o] = planes[o, p] + b[o].
    static func toPixels(
        _ planes: UnsafePointer<Float>, bias b: UnsafePointer<Float>, pixels: Int, channels c: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        let end = vectorEnd(pixels: pixels, channels: c)
        if end > 0 {
            var lanes = V()
            for lane in 0..<8 { lanes[lane] = b[min(lane, c - 1)] }
            let bias = lanes
            let out = UnsafeMutableRawPointer(y)
            for p in stride(from: 0, to: end, by: 8) {
                forEach(Transpose8x8.columns(planes + p, stride: pixels, count: c)) { column, q in
                    out.storeBytes(of: column + bias, toByteOffset: (p + q) * c * 4, as: V.self)
                }
            }
        }
        for p in end..<pixels {
            for o in 0..<c { y[p * c + o] = planes[o * pixels + p] + b[o] }
        }
    }

    /// planes[o, p] = dy[p, o], and db[o] += dy[p, o] pixel by pixel in order (as
    /// `Im2Col.addRows` sums a bias gradient).
    static func toPlanes(
        _ dy: UnsafePointer<Float>, pixels: Int, channels c: Int, into planes: UnsafeMutablePointer<Float>,
        biasGradient db: UnsafeMutablePointer<Float>
    ) {
        let end = vectorEnd(pixels: pixels, channels: c)
        if end > 0 {
            var sums = V()
            for lane in 0..<c { sums[lane] = db[lane] }
            let rows = UnsafeRawPointer(dy)
            for p in stride(from: 0, to: end, by: 8) {
                for q in 0..<8 { sums += rows.loadUnaligned(fromByteOffset: (p + q) * c * 4, as: V.self) }
                forEach(Transpose8x8.columns(dy + p * c, stride: c)) { column, o in
                    if o < c { UnsafeMutableRawPointer(planes + o * pixels + p).storeBytes(of: column, as: V.self) }
                }
            }
            for lane in 0..<c { db[lane] = sums[lane] }
        }
        for p in end..<pixels {
            let row = dy + p * c
            for o in 0..<c {
                planes[o * pixels + p] = row[o]
                db[o] += row[o]
            }
        }
    }
}
