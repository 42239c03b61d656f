import NNCore
import XCTest

/// Finite-difference checks of a layer's backward pass on the scalar loss L = Σ r ⊙ y with a
/// fixed random r: the analytic gradients (backward given dy = r) must match central
/// differences (L(v + ε) − L(v − ε)) / 2ε, the loss summed in Double.
enum GradientCheck {
    static func randomTensor(_ shape: [Int], _ rng: inout SeededGenerator, scale: Float = 1) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in 0..<t.count { t.scalars[i] = rng.uniform(-scale, scale) }
        return t
    }

    static func loss(_ layer: Layer, _ x: Tensor, _ r: Tensor) -> Double {
        var context = PassContext(training: true)
        let y = layer.forward(x, &context)
        return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks dx and the gradient of every trainable parameter on up to `samples` entries each.
    static func check(
        _ layer: Layer, input: Tensor, seed: UInt64 = 1, epsilon: Float = 1e-2,
        tolerance: Double = 3e-2, samples: Int = 40,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = SeededGenerator(seed: seed)
        var context = PassContext(training: true)
        let y = layer.forward(input, &context)
        let r = randomTensor(y.shape, &rng)
        for p in layer.parameters where p.trainable { p.gradient.zero() }
        layer.needsInputGradient = true
        let dx = layer.backward(r, &context)
        XCTAssertEqual(dx.shape, input.shape, file: file, line: line)

        func compare(_ analytic: Float, _ perturb: (Float) -> Double, _ what: String) {
            let numeric = (perturb(epsilon) - perturb(-epsilon)) / (2 * Double(epsilon))
            let error = abs(Double(analytic) - numeric)
            XCTAssertLessThanOrEqual(
                error, tolerance * max(abs(numeric), abs(Double(analytic))) + 1e-3,
                "\(what): analytic \(analytic), numeric \(numeric)", file: file, line: line)
        }
        for i in indices(input.count, samples, &rng) {
            compare(
                dx.scalars[i],
                { delta in
                    var x = input
                    x.scalars[i] += delta
                    return loss(layer, x, r)
                }, "dx[\(i)]")
        }
        for p in layer.parameters where p.trainable {
            let gradient = p.gradient
            for i in indices(p.value.count, samples, &rng) {
                compare(
                    gradient.scalars[i],
                    { delta in
                        let saved = p.value.scalars[i]
                        p.value.scalars[i] += delta
                        defer { p.value.scalars[i] = saved }
                        return loss(layer, input, r)
                    }, "d\(p.name)[\(i)]")
            }
        }
    }

    private static func indices(_ count: Int, _ samples: Int, _ rng: inout SeededGenerator) -> [Int] {
        count <= samples ? Array(0..<count) : (0..<samples).map { _ in rng.index(below: count) }
    }
}

extension GradientCheck {
    /// A seeded tensor of uniform values in ±scale.
    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return randomTensor(shape, &rng, scale: scale)
    }

    /// One numeric-versus-analytic comparison with a relative tolerance (for losses and
    /// whole-network checks, where the caller perturbs the inputs itself).
    static func compare(
        numeric: Double, analytic: Double, tolerance: Double, what: String,
        file: StaticString, line: UInt
    ) {
        let scale = max(1, abs(numeric), abs(analytic))
        XCTAssertLessThanOrEqual(
            abs(numeric - analytic) / scale, tolerance,
            "\(what): numeric \(numeric) vs analytic \(analytic)", file: file, line: line)
    }
}
