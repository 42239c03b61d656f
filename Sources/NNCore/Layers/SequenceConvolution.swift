/// `conv1d`, `maxpool1d` and `avgpool1d` on sequences `[N, T, C]`, run as their 2-D layers on
/// images one row high, `[N, 1, T, C]`: the same scalars in the same order, so the im2col and
/// GEMM kernels, the pools and their deterministic gradient sums serve both.
///
/// A conv1d's weight is PyTorch's `nn.Conv1d` layout `[outC, C, k]`, which holds the scalars of
/// the 2-D layout `[outC, C, 1, k]` in the same order; `Conv2DLayer` reads them as such.
public final class SequenceConvolution: Layer {
    /// The 2-D layer that does the work.
    public let image: Layer
    public var needsInputGradient: Bool {
        get { image.needsInputGradient }
        set { image.needsInputGradient = newValue }
    }
    private var inputShape: [Int] = []

    init(image: Layer) {
        self.image = image
    }

    /// A conv1d over `steps` × `channels` (`same` padding puts an odd pad at the end, as
    /// ConvGeometry does).
    public static func convolution(
        steps: Int, channels: Int, filters: Int, kernel: Int, stride: Int, padding: LayerSpec.Padding, weight: Tensor
    ) -> SequenceConvolution {
        let geometry = ConvGeometry(
            height: 1, width: steps, channels: channels, filters: filters, kernel: IntPair(1, kernel),
            stride: IntPair(1, stride), padding: padding)
        return SequenceConvolution(image: Conv2DLayer(geometry: geometry, weight: weight))
    }

    public static func maxPool(pool: Int, stride: Int) -> SequenceConvolution {
        SequenceConvolution(image: MaxPool2DLayer(pool: IntPair(1, pool), stride: IntPair(1, stride)))
    }

    public static func averagePool(pool: Int, stride: Int) -> SequenceConvolution {
        SequenceConvolution(image: AvgPool2DLayer(pool: IntPair(1, pool), stride: IntPair(1, stride)))
    }

    public var parameters: [Parameter] { image.parameters }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        precondition(input.rank == 3, "a 1-D layer expects [N, T, C], got \(input.shape)")
        inputShape = input.shape
        let output = image.forward(input.reshaped([input.shape[0], 1, input.shape[1], input.shape[2]]), &context)
        return output.reshaped([output.shape[0], output.shape[2], output.shape[3]])
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        let gradient = image.backward(
            gradOutput.reshaped([gradOutput.shape[0], 1, gradOutput.shape[1], gradOutput.shape[2]]), &context)
        return needsInputGradient ? gradient.reshaped(inputShape) : gradient
    }
}
