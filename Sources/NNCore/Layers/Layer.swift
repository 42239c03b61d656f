/// A layer of a network: forward keeps what backward needs; backward accumulates parameter
/// gradients (cleared by `Network.zeroGradients()`) and returns the gradient of its input.
///
/// Shapes carry the batch axis first: `[N, F]`, `[N, H, W, C]`, `[N, T, F]`.
public protocol Layer: AnyObject {
    /// Parameters and buffers in a fixed order, named as PyTorch names them
    /// (`weight`, `bias`, `running_mean`, …). Optimizer state lives at the same index.
    var parameters: [Parameter] { get }

    /// Set by the network for a layer whose input gradient nobody reads (the first layer),
    /// so that backward may skip computing it.
    var needsInputGradient: Bool { get set }

    func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor
    func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor
}

/// A named tensor owned by a layer, with its gradient beside it.
public final class Parameter {
    public let name: String
    /// Every change (assignment or in-place write) bumps `version`, so that derived data such
    /// as the network's folded inference weights knows when to rebuild.
    public var value: Tensor {
        didSet { version &+= 1 }
    }
    public private(set) var version: UInt64 = 0
    public var gradient: Tensor
    /// Buffers such as batch norm's running statistics are saved but never optimised.
    public let trainable: Bool

    public init(name: String, value: Tensor, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.gradient = Tensor(zeros: trainable ? value.shape : [0])
        self.trainable = trainable
    }
}

/// What a forward or backward pass needs besides the data.
public struct PassContext {
    /// Training mode: dropout drops, batch norm uses batch statistics.
    public var training: Bool
    /// Threads the kernels may use.
    public var threads: Int
    /// The generator for dropout masks (seeded by the trainer).
    public var rng: SeededGenerator

    public init(training: Bool, threads: Int = 1, rng: SeededGenerator = SeededGenerator(seed: 0)) {
        self.training = training
        self.threads = threads
        self.rng = rng
    }
}
