import NNCore
import XCTest

/// The pre-packed product against `Gemm.multiply` (the same bits from m = 6 rows up, where the
/// GEMM takes its packed path) and against the naive reference below that, on odd shapes.
final class PackedMatrixTests: XCTestCase {
    func testMatchesGemmOnOddShapes() {
        var rng = SeededGenerator(seed: 11)
        for form in [GemmForm.nn, .nt] {
            for (n, k) in [(1, 1), (7, 63), (65, 7), (256, 64), (64, 256), (17, 300)] {
                let packed = PackedMatrix(n: n, k: k)
                let b = (0..<(n * k)).map { _ in rng.uniform(-1, 1) }
                b.withUnsafeBufferPointer { packed.pack(form, b: $0.baseAddress!) }
                for m in [1, 5, 6, 7, 63, 65, 129] {
                    let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
                    let start = (0..<(m * n)).map { _ in rng.uniform(-1, 1) }
                    for accumulate in [false, true] {
                        var actual = start, expected = start
                        a.withUnsafeBufferPointer { a in
                            actual.withUnsafeMutableBufferPointer {
                                packed.multiply(a: a.baseAddress!, m: m, c: $0.baseAddress!, accumulate: accumulate)
                            }
                        }
                        let label = "\(form) m=\(m) n=\(n) k=\(k) accumulate=\(accumulate)"
                        if m >= 6 {
                            Gemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: accumulate)
                            XCTAssertEqual(actual, expected, label)
                        } else {
                            NaiveGemm.multiply(form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: accumulate)
                            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                            XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot() + 1e-5, label)
                        }
                    }
                }
            }
        }
    }
}
