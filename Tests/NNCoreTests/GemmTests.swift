import NNCore
import XCTest

final class GemmTests: XCTestCase {
    private func random(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in rng.uniform(-1, 1) }
    }

    /// Fast = naive for every form on the odd shapes the style guide names, with and without
    /// accumulation, on one and two threads.
    func testFastMatchesNaiveOnOddShapes() {
        var rng = SeededGenerator(seed: 3)
        let sizes = [1, 7, 63, 65, 129]
        for form in GemmForm.allCases {
            for m in sizes {
                for n in sizes {
                    for k in [1, 7, 65, 300] where (m * n * k) < 2_500_000 {
                        let a = random(m * k, &rng), b = random(k * n, &rng)
                        let start = random(m * n, &rng)
                        for accumulate in [false, true] {
                            var expected = start
                            NaiveGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: accumulate)
                            for threads in [1, 2] {
                                var actual = start
                                Gemm.multiply(
                                    form, m: m, n: n, k: k, a: a, b: b, c: &actual,
                                    accumulate: accumulate, threads: threads)
                                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                                XCTAssertLessThan(
                                    worst, 1e-4 * Float(k).squareRoot() + 1e-5,
                                    "\(form) m=\(m) n=\(n) k=\(k) acc=\(accumulate) threads=\(threads)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Wide outputs cross the 256-column blocks of packed B; depths cross the 256-deep blocks.
    /// One and five rows of a large product take the small path split by columns between
    /// threads (with a short last chunk of columns).
    func testWideAndDeepShapesMatchNaive() {
        var rng = SeededGenerator(seed: 5)
        for (m, n, k) in [(7, 300, 65), (65, 513, 300), (129, 257, 513), (1, 257, 784), (5, 100, 300)] {
            let a = random(m * k, &rng), b = random(k * n, &rng)
            for form in GemmForm.allCases {
                var expected = [Float](repeating: 0, count: m * n), actual = expected
                NaiveGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: false)
                Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &actual, accumulate: false, threads: 2)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot(), "\(form) \(m)x\(n)x\(k)")
            }
        }
    }

    func testThreadCountDoesNotChangeBits() {
        var rng = SeededGenerator(seed: 9)
        for (m, n, k) in [(129, 65, 300), (64, 256, 784), (300, 40, 513), (70, 600, 300), (1, 257, 784), (5, 100, 300)]
        {
            let a = random(m * k, &rng), b = random(k * n, &rng)
            for form in GemmForm.allCases {
                var one = [Float](repeating: 0, count: m * n), two = one
                Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &one, accumulate: false, threads: 1)
                Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &two, accumulate: false, threads: 2)
                XCTAssertEqual(one, two, "\(form) \(m)x\(n)x\(k)")
            }
        }
    }

    /// Shapes that cross the 256-row groups of packed A, the 512-column blocks of packed B
    /// and the 256-deep blocks, where the team shares and double-buffers its packed operands:
    /// bits equal on one and two threads, values equal to the naive product.
    func testRowGroupsAndColumnBlocksMatchNaive() {
        var rng = SeededGenerator(seed: 13)
        for (m, n, k) in [(257, 65, 300), (520, 33, 70), (13, 1100, 129), (300, 1030, 17), (7, 530, 260)] {
            let a = random(m * k, &rng), b = random(k * n, &rng), start = random(m * n, &rng)
            for form in GemmForm.allCases {
                var expected = start
                NaiveGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: true)
                var one = start, two = start
                Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &one, accumulate: true, threads: 1)
                Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &two, accumulate: true, threads: 2)
                XCTAssertEqual(one, two, "\(form) \(m)x\(n)x\(k)")
                let worst = zip(one, expected).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot(), "\(form) \(m)x\(n)x\(k)")
            }
        }
    }

    /// Packing transposes full panels 8 depths at a time and copies the rest one by one:
    /// depths on either side of a multiple of 8, with full and short panels of both operands,
    /// split between two team members at every panel boundary.
    func testTransposedPackingAroundEightDepths() {
        var rng = SeededGenerator(seed: 17)
        for form in GemmForm.allCases {
            for (m, n) in [(12, 32), (13, 33), (120, 200)] {
                for k in [8, 9, 15, 16, 17, 264] {
                    let a = random(m * k, &rng), b = random(k * n, &rng)
                    var expected = [Float](repeating: 0, count: m * n), one = expected, two = expected
                    NaiveGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: false)
                    Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &one, accumulate: false, threads: 1)
                    Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &two, accumulate: false, threads: 2)
                    XCTAssertEqual(one, two, "\(form) \(m)x\(n)x\(k)")
                    let worst = zip(one, expected).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot(), "\(form) \(m)x\(n)x\(k)")
                }
            }
        }
    }

    func testZeroDepthClearsOrKeeps() {
        var c: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        Gemm.multiply(.nn, m: 7, n: 2, k: 0, a: [], b: [], c: &c, accumulate: true)
        XCTAssertEqual(c[13], 14)
        Gemm.multiply(.nn, m: 7, n: 2, k: 0, a: [], b: [], c: &c, accumulate: false)
        XCTAssertEqual(c, [Float](repeating: 0, count: 14))
    }
}
