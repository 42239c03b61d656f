/// An activation as a layer of its own: the `activation` spec type, and the `activation`
/// field of dense and conv2d layers, which the network builds as a following layer.
public final class ActivationLayer: Layer {
    public let function: ActivationFunction
    public var needsInputGradient = true
    private var output = Tensor(zeros: [0])

    public init(_ function: ActivationFunction) {
        self.function = function
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, _ context: inout PassContext) -> Tensor {
        let y = Activation.forward(function, input, threads: context.threads)
        if context.training { output = y }
        return y
    }

    public func backward(_ gradOutput: Tensor, _ context: inout PassContext) -> Tensor {
        Activation.backward(function, output: output, gradient: gradOutput, threads: context.threads)
    }
}
