/// The sizes of a valid-padded 2-D pool over channels-last images, and the walk over its
/// windows shared by max and average pooling.
///
/// Shape legend: x `[N, H, W, C]`, y `[N, outH, outW, C]`, outH = (H − ph) / sh + 1.
struct PoolGeometry {
    let batch: Int
    let height: Int
    let width: Int
    let channels: Int
    let pool: IntPair
    let stride: IntPair
    let outputHeight: Int
    let outputWidth: Int

    init(input shape: [Int], pool: IntPair, stride: IntPair) {
        precondition(shape.count == 4, "pooling expects [N, H, W, C], got \(shape)")
        // ShapeInference rejects a pool larger than its input with a path first.
        precondition(pool.height <= shape[1] && pool.width <= shape[2], "pool larger than its input")
        (batch, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
        self.pool = pool
        self.stride = stride
        outputHeight = (height - pool.height) / stride.height + 1
        outputWidth = (width - pool.width) / stride.width + 1
    }

    var inputSize: Int { height * width * channels }
    var outputPixels: Int { outputHeight * outputWidth }
    var outputShape: [Int] { [batch, outputHeight, outputWidth, channels] }

    /// Calls `body(outputOffset, firstTap)` for every output pixel of sample n: the offset of
    /// its C outputs in the whole output, and of its window's top-left pixel inside the sample.
    @inline(__always)
    func forEachOutput(sample n: Int, _ body: (Int, Int) -> Void) {
        for oy in 0..<outputHeight {
            for ox in 0..<outputWidth {
                let out = ((n * outputHeight + oy) * outputWidth + ox) * channels
                body(out, ((oy * stride.height) * width + ox * stride.width) * channels)
            }
        }
    }

    /// Calls `body(tap)` for the window's taps in (ky, kx) order, as offsets in the sample.
    @inline(__always)
    func forEachTap(from firstTap: Int, includingFirst: Bool = false, _ body: (Int) -> Void) {
        for ky in 0..<pool.height {
            for kx in 0..<pool.width where includingFirst || ky > 0 || kx > 0 {
                body(firstTap + (ky * width + kx) * channels)
            }
        }
    }
}
