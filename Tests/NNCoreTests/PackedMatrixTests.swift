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

    /// A single row (the recurrent layers' batch of one) takes its own kernel; it must give the
    /// bits the tiles give that row inside a larger product, under every kernel set: widths
    /// with and without whole groups of eight blocks and partial last blocks, depths across
    /// the GEMM's depth blocks.
    func testOneRowEqualsItsRowInATileProductUnderEveryKernelSet() throws {
        var rng = SeededGenerator(seed: 12)
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                for (n, k) in [(1, 1), (5, 3), (129, 64), (200, 17), (256, 300), (33, 513)] {
                    let packed = PackedMatrix(n: n, k: k)
                    let b = (0..<(n * k)).map { _ in rng.uniform(-1, 1) }
                    b.withUnsafeBufferPointer { packed.pack(.nt, b: $0.baseAddress!) }
                    let a = (0..<(7 * k)).map { _ in rng.uniform(-1, 1) }
                    let start = (0..<(7 * n)).map { _ in rng.uniform(-1, 1) }
                    for accumulate in [false, true] {
                        var one = Array(start[0..<n]), seven = start
                        a.withUnsafeBufferPointer { a in
                            one.withUnsafeMutableBufferPointer {
                                packed.multiply(a: a.baseAddress!, m: 1, c: $0.baseAddress!, accumulate: accumulate)
                            }
                            seven.withUnsafeMutableBufferPointer {
                                packed.multiply(a: a.baseAddress!, m: 7, c: $0.baseAddress!, accumulate: accumulate)
                            }
                        }
                        XCTAssertEqual(one, Array(seven[0..<n]), "\(isa) n=\(n) k=\(k) accumulate=\(accumulate)")
                    }
                }
            }
        }
    }
}
