/// Weight initialisation: He (Kaiming) uniform for layers followed by relu, Glorot (Xavier)
/// uniform otherwise; biases start at zero.
public enum Initializer {
    /// Uniform in ±√(6 / fan_in) (He) or ±√(6 / (fan_in + fan_out)) (Glorot).
    public static func uniform(
        shape: [Int], fanIn: Int, fanOut: Int, relu: Bool,
        rng: inout SeededGenerator
    ) -> Tensor {
        let limit = relu ? (6 / Float(fanIn)).squareRoot() : (6 / Float(fanIn + fanOut)).squareRoot()
        var tensor = Tensor(zeros: shape)
        for i in 0..<tensor.count { tensor.scalars[i] = rng.uniform(-limit, limit) }
        return tensor
    }
}
