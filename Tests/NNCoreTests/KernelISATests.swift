import NNCore
import XCTest

/// The start-up choice of kernel set, and every GEMM path against its naive reference under
/// each set this CPU has (odd shapes, one and two threads).
final class KernelISATests: XCTestCase {
    func testStartupChoiceIsTheBestSetOrTheForcedOne() throws {
        try withKernelSet(KernelISA.active) {
            XCTAssertEqual(try KernelISA.selectAtStartup(environment: [:]), KernelISA.best)
            XCTAssertEqual(KernelISA.active, KernelISA.best)
            XCTAssertEqual(try KernelISA.selectAtStartup(environment: ["NN_ISA": "avx2"]), .avx2)
            XCTAssertEqual(KernelISA.active, .avx2)
            XCTAssertEqual(try KernelISA.selectAtStartup(environment: ["NN_ISA": "AVX2"]), .avx2)
            XCTAssertEqual(KernelISA.best, KernelISA.avx512.isSupported ? .avx512 : .avx2)
            XCTAssertTrue(KernelISA.supported.contains(.avx2))
        }
    }

    /// A forced set that is unknown, or that the CPU lacks, is an error naming the variable,
    /// and leaves the active set as it was.
    func testUnknownOrMissingForcedSetIsAnError() throws {
        try withKernelSet(.avx2) {
            XCTAssertThrowsError(try KernelISA.selectAtStartup(environment: ["NN_ISA": "sse9"])) { error in
                XCTAssertEqual(error as? KernelISAError, .unknown("sse9"))
                XCTAssertTrue("\(error)".contains("NN_ISA=sse9"), "\(error)")
            }
            XCTAssertEqual(KernelISA.active, .avx2)
            if KernelISA.avx512.isSupported {
                XCTAssertEqual(try KernelISA.selectAtStartup(environment: ["NN_ISA": "avx512"]), .avx512)
            } else {
                XCTAssertThrowsError(try KernelISA.selectAtStartup(environment: ["NN_ISA": "avx512"])) { error in
                    XCTAssertEqual(error as? KernelISAError, .unsupported(.avx512))
                    XCTAssertTrue("\(error)".contains("lacks AVX512F"), "\(error)")
                }
                XCTAssertEqual(KernelISA.active, .avx2)
            }
        }
    }

    /// Every form on the odd shapes, with and without accumulation, one and two threads,
    /// against the naive product, under each set the CPU has.
    func testGemmMatchesNaiveUnderEachSet() throws {
        let sizes = [1, 7, 63, 65, 129]
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                var rng = SeededGenerator(seed: 21)
                for form in GemmForm.allCases {
                    for m in sizes {
                        for n in sizes {
                            for k in [1, 7, 65, 300] where m * n * k < 2_500_000 {
                                let a = randomValues(m * k, &rng), b = randomValues(k * n, &rng)
                                let start = randomValues(m * n, &rng)
                                for accumulate in [false, true] {
                                    var expected = start
                                    NaiveGemm.multiply(
                                        form, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: accumulate)
                                    for threads in [1, 2] {
                                        var actual = start
                                        Gemm.multiply(
                                            form, m: m, n: n, k: k, a: a, b: b, c: &actual, accumulate: accumulate,
                                            threads: threads)
                                        XCTAssertLessThan(
                                            worstDifference(actual, expected), 1e-4 * Float(k).squareRoot() + 1e-5,
                                            "\(isa) \(form) m=\(m) n=\(n) k=\(k) acc=\(accumulate) threads=\(threads)")
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The pre-packed product with A read in place, against the naive product, under each set:
    /// column counts with an odd number of 16-wide panels end in a lone panel on AVX-512.
    func testPackedMatrixMatchesNaiveUnderEachSet() throws {
        for isa in KernelISA.supported {
            try withKernelSet(isa) {
                var rng = SeededGenerator(seed: 23)
                for (n, k) in [(1, 1), (7, 63), (63, 65), (65, 7), (129, 300), (48, 129)] {
                    let packed = PackedMatrix(n: n, k: k)
                    let b = randomValues(n * k, &rng)
                    b.withUnsafeBufferPointer { packed.pack(.nt, b: $0.baseAddress!) }
                    for m in [6, 7, 63, 65, 129] {
                        let a = randomValues(m * k, &rng), start = randomValues(m * n, &rng)
                        var expected = start
                        NaiveGemm.multiply(.nt, m: m, n: n, k: k, a: a, b: b, c: &expected, accumulate: true)
                        let actual = packedProduct(packed, a: a, m: m, start: start, accumulate: true)
                        XCTAssertLessThan(
                            worstDifference(actual, expected), 1e-4 * Float(k).squareRoot() + 1e-5,
                            "\(isa) m=\(m) n=\(n) k=\(k)")
                    }
                }
            }
        }
    }
}

/// Runs `body` with `isa` active, then restores the set that was active before.
func withKernelSet(_ isa: KernelISA, _ body: () throws -> Void) throws {
    let before = KernelISA.active
    try KernelISA.activate(isa)
    defer { try? KernelISA.activate(before) }
    try body()
}

func randomValues(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in rng.uniform(-1, 1) }
}

func worstDifference(_ x: [Float], _ y: [Float]) -> Float {
    zip(x, y).map { abs($0 - $1) }.max() ?? 0
}

func packedProduct(_ packed: PackedMatrix, a: [Float], m: Int, start: [Float], accumulate: Bool) -> [Float] {
    var c = start
    a.withUnsafeBufferPointer { a in
        c.withUnsafeMutableBufferPointer {
            packed.multiply(a: a.baseAddress!, m: m, c: $0.baseAddress!, accumulate: accumulate)
        }
    }
    return c
}
