import XCTest
import NNCore

/// Central finite differences against the analytic backward pass of a layer, on the scalar
/// L = Σ w ⊙ layer(x) with fixed random w. Used by every layer's gradient test.
enum GradientCheck {
    static func check(_ layer: Layer, input: Tensor, seed: UInt64 = 1, epsilon: Float = 1e-2,
                      tolerance: Double = 2e-2, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        var context = PassContext(training: true)
        let probe = layer.forward(input, &context)
        let weights = Tensor(shape: probe.shape, scalars: (0..<probe.count).map { _ in rng.uniform(-1, 1) })
        func loss(_ x: Tensor) -> Double {
            var context = PassContext(training: true)
            let y = layer.forward(x, &context)
            return zip(y.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for parameter in layer.parameters where parameter.trainable { parameter.gradient.zero() }
        context = PassContext(training: true)
        _ = layer.forward(input, &context)
        layer.needsInputGradient = true
        let gradInput = layer.backward(weights, &context)

        var x = input
        for i in 0..<x.count {
            let saved = x.scalars[i]
            x.scalars[i] = saved + epsilon
            let plus = loss(x)
            x.scalars[i] = saved - epsilon
            let minus = loss(x)
            x.scalars[i] = saved
            compare(numeric: (plus - minus) / Double(2 * epsilon), analytic: Double(gradInput.scalars[i]),
                    tolerance: tolerance, what: "input[\(i)]", file: file, line: line)
        }
        for parameter in layer.parameters where parameter.trainable {
            for i in 0..<parameter.value.count {
                let saved = parameter.value.scalars[i]
                parameter.value.scalars[i] = saved + epsilon
                let plus = loss(input)
                parameter.value.scalars[i] = saved - epsilon
                let minus = loss(input)
                parameter.value.scalars[i] = saved
                compare(numeric: (plus - minus) / Double(2 * epsilon), analytic: Double(parameter.gradient.scalars[i]),
                        tolerance: tolerance, what: "\(parameter.name)[\(i)]", file: file, line: line)
            }
        }
    }

    static func compare(numeric: Double, analytic: Double, tolerance: Double, what: String,
                        file: StaticString, line: UInt) {
        let scale = max(1, abs(numeric), abs(analytic))
        XCTAssertLessThanOrEqual(abs(numeric - analytic) / scale, tolerance,
                                 "\(what): numeric \(numeric) vs analytic \(analytic)", file: file, line: line)
    }

    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
    }
}
