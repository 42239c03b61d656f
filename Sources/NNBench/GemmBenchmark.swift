import NNCore

/// GEMM throughput for the sizes of WORKLOADS.md: C = A·B, 2·M·N·K / seconds. Each figure is
/// the median of 7 trials of about 50 ms after a warm-up, as the numpy anchor measures.
struct GemmBenchmark {
    struct Result: Codable {
        var m: Int, n: Int, k: Int, threads: Int, gflops: Double
        /// The best of the 7 trials, as the anchor scripts also print it: on a shared machine
        /// the best trial is the one least disturbed by other work.
        var best_gflops: Double
    }

    static let sizes: [(m: Int, k: Int, n: Int)] = [
        (64, 64, 64), (128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024),
        (64, 784, 256), (64, 256, 128),
    ]

    /// The products one W1 training step makes, in the forms the layers use (reported in the
    /// table only: WORKLOADS.md's GEMM figures are the `nn` sizes above).
    static let trainingShapes: [(form: GemmForm, m: Int, k: Int, n: Int)] = [
        (.nt, 64, 784, 256), (.tn, 256, 64, 784), (.nt, 64, 256, 128), (.tn, 128, 64, 256), (.nn, 64, 128, 256),
    ]

    static func run(threads: [Int], report: (String) -> Void) -> [Result] {
        var rng = SeededGenerator(seed: 0)
        var results: [Result] = []
        for shape in trainingShapes {
            let a = (0..<(shape.m * shape.k)).map { _ in rng.normal() }
            let b = (0..<(shape.k * shape.n)).map { _ in rng.normal() }
            var c = [Float](repeating: 0, count: shape.m * shape.n)
            for t in threads {
                let (rate, _) = measure(flop: 2.0 * Double(shape.m * shape.n * shape.k)) {
                    Gemm.multiply(
                        shape.form, m: shape.m, n: shape.n, k: shape.k, a: a, b: b, c: &c, accumulate: false, threads: t
                    )
                }
                report(
                    "gemm W1 step \(shape.form) \(shape.m)x\(shape.k)·\(shape.k)x\(shape.n)  threads \(t)  \(String(format: "%.1f", rate)) GFLOP/s"
                )
            }
        }
        for size in sizes {
            let a = (0..<(size.m * size.k)).map { _ in rng.normal() }
            let b = (0..<(size.k * size.n)).map { _ in rng.normal() }
            var c = [Float](repeating: 0, count: size.m * size.n)
            let flop = 2.0 * Double(size.m * size.n * size.k)
            for t in threads {
                let (gflops, best) = measure(flop: flop) {
                    Gemm.multiply(
                        .nn, m: size.m, n: size.n, k: size.k, a: a, b: b, c: &c, accumulate: false, threads: t)
                }
                let result = Result(m: size.m, n: size.n, k: size.k, threads: t, gflops: gflops, best_gflops: best)
                report(
                    "gemm \(size.m)x\(size.k)·\(size.k)x\(size.n)  threads \(t)  \(String(format: "%.1f", gflops)) GFLOP/s (best \(String(format: "%.1f", best)))"
                )
                results.append(result)
            }
        }
        return results
    }

    /// Median and best GFLOP/s of 7 trials of about 50 ms each, after a warm-up.
    static func measure(flop: Double, _ multiply: () -> Void) -> (median: Double, best: Double) {
        multiply()
        var reps = 1
        while Stopwatch.seconds({ for _ in 0..<reps { multiply() } }) < 0.0125 && reps < 1 << 20 {
            reps *= 2
        }
        reps = max(1, reps * 4)
        let rates = (0..<7).map { _ in
            flop * Double(reps) / Stopwatch.seconds({ for _ in 0..<reps { multiply() } }) / 1e9
        }
        return (Stopwatch.median(rates), rates.max() ?? 0)
    }
}
