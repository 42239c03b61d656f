import NNCore
import XCTest

/// The vector exp, sigmoid and tanh against libm under each kernel set the CPU has, over a grid
/// that covers the range the gates see, the clamped extremes and lengths that leave a partial
/// last vector.
final class VectorMathTests: XCTestCase {
    private func grid(_ count: Int, from low: Float, to high: Float) -> [Float] {
        (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
    }

    private func compare(
        _ values: [Float], _ fast: (UnsafeMutablePointer<Float>, Int) -> Void,
        _ reference: (Float) -> Float, relative: Float, absolute: Float, _ name: String
    ) {
        for isa in KernelISA.supported {
            try? withKernelSet(isa) {
                var out = values
                out.withUnsafeMutableBufferPointer { fast($0.baseAddress!, $0.count) }
                var worst: Float = 0
                for (x, y) in zip(values, out) {
                    let expected = reference(x)
                    let error = abs(y - expected)
                    worst = max(worst, error / max(abs(expected), 1e-30))
                    XCTAssertLessThanOrEqual(
                        error, relative * abs(expected) + absolute, "\(isa) \(name)(\(x)) = \(y), libm \(expected)")
                }
                print("\(isa) \(name): worst relative error \(worst)")
            }
        }
    }

    func testExpMatchesLibm() {
        compare(
            grid(20_001, from: -80, to: 80), VectorMath.exp, VectorMath.scalarReferenceExp,
            relative: 4e-7, absolute: 0, "exp")
    }

    func testSigmoidMatchesLibm() {
        compare(
            grid(20_003, from: -40, to: 40) + [-200, 200, 0], VectorMath.sigmoid,
            VectorMath.scalarReferenceSigmoid, relative: 5e-7, absolute: 1e-37, "sigmoid")
    }

    func testTanhMatchesLibm() {
        let values = grid(20_005, from: -12, to: 12) + grid(1_001, from: -0.3, to: 0.3) + [1e-20, -1e-20, 0, -300, 300]
        compare(values, VectorMath.tanh, VectorMath.scalarReferenceTanh, relative: 5e-7, absolute: 1e-30, "tanh")
    }
}
