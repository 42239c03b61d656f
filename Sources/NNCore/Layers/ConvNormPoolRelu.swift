/// A convolution followed by a fused batch norm, max pool and ReLU (`BatchNormPoolRelu`), in
/// training: forward runs the two one after the other; backward makes the batch norm's input
/// gradient one image at a time, just before the convolution's backward reads it for that
/// image, instead of writing the batch's gradient (the size of the convolution's output, 8 MB
/// for a CIFAR-sized batch of 64 with 32 filters) and reading it back from memory.
///
/// Every value is computed by the same code as when the two run separately, so the bits are
/// the same; only where the gradient lives in between changes.
final class ConvNormPoolRelu: Layer {
    let conv: Conv2DLayer
    let rest: BatchNormPoolRelu

    var needsInputGradient: Bool {
        get { conv.needsInputGradient }
        set { conv.needsInputGradient = newValue }
    }

    /// The convolution and the fused run after it, or nil when `layers` is not a convolution.
    init?(_ layer: Layer, followedBy rest: BatchNormPoolRelu) {
        guard let conv = layer as? Conv2DLayer else { return nil }
        (self.conv, self.rest) = (conv, rest)
    }

    var parameters: [Parameter] { conv.parameters + rest.parameters }

    func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        rest.forward(conv.forward(input, &context), &context)
    }

    func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        guard rest.ranFused && rest.norm.needsInputGradient else {
            return conv.backward(rest.backward(gradOutput, &context), &context)
        }
        rest.accumulateGradients(gradOutput, context)
        defer { rest.releaseGradient() }
        let rest = rest
        return conv.backward(context) { image, buffer in
            rest.inputGradient(sample: image, into: buffer)
            return UnsafePointer(buffer)
        }
    }
}
