/// Flattens every sample to one axis: `[N, d1, d2, …]` → `[N, d1·d2·…]`. Channels-last images
/// flatten in (H, W, C) order.
public final class FlattenLayer: Layer {
    public var needsInputGradient = true
    private var inputShape: [Int] = []

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        inputShape = input.shape
        return input.reshaped([input.batchSize, input.sampleSize])
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        gradOutput.reshaped(inputShape)
    }
}
