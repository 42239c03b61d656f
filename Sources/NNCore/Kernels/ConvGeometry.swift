/// The sizes of one 2-D convolution over channels-last images, with its padding resolved.
///
/// Shape legend: input `[N, H, W, C]`, weight `[outC, C, kh, kw]` (PyTorch's layout),
/// output `[N, outH, outW, outC]`. `valid` pads nothing; `same` gives outH = ⌈H / stride⌉ and
/// pads (outH − 1)·stride + kh − H rows in total, the odd one at the bottom (and likewise
/// columns, the odd one on the right), as Keras and PyTorch's `padding='same'` do.
public struct ConvGeometry: Equatable, Sendable {
    public let inputHeight: Int
    public let inputWidth: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let strideHeight: Int
    public let strideWidth: Int
    public let padTop: Int
    public let padLeft: Int
    public let outputHeight: Int
    public let outputWidth: Int

    public init(
        height: Int, width: Int, channels: Int, filters: Int, kernel: IntPair, stride: IntPair,
        padding: LayerSpec.Padding
    ) {
        precondition(height > 0 && width > 0 && channels > 0 && filters > 0)
        precondition(kernel.height > 0 && kernel.width > 0 && stride.height > 0 && stride.width > 0)
        inputHeight = height
        inputWidth = width
        inputChannels = channels
        outputChannels = filters
        kernelHeight = kernel.height
        kernelWidth = kernel.width
        strideHeight = stride.height
        strideWidth = stride.width
        switch padding {
        case .valid:
            // ShapeInference rejects such specs with a path before a layer is ever built.
            precondition(kernel.height <= height && kernel.width <= width, "kernel larger than a valid-padded input")
            outputHeight = (height - kernel.height) / stride.height + 1
            outputWidth = (width - kernel.width) / stride.width + 1
            padTop = 0
            padLeft = 0
        case .same:
            outputHeight = (height + stride.height - 1) / stride.height
            outputWidth = (width + stride.width - 1) / stride.width
            padTop = max((outputHeight - 1) * stride.height + kernel.height - height, 0) / 2
            padLeft = max((outputWidth - 1) * stride.width + kernel.width - width, 0) / 2
        }
    }

    /// Values in one receptive field: one row of the im2col matrix.
    public var patchSize: Int { kernelHeight * kernelWidth * inputChannels }
    public var inputSize: Int { inputHeight * inputWidth * inputChannels }
    public var outputPixels: Int { outputHeight * outputWidth }
    public var weightShape: [Int] { [outputChannels, inputChannels, kernelHeight, kernelWidth] }
}

extension ConvGeometry {
    /// The convolution that gives a stride-1 convolution's input gradient: dx `[H, W, C]` is dy
    /// `[outH, outW, O]` zero-padded by kh − 1 − padTop rows above and kw − 1 − padLeft columns
    /// to the left (the rest below and to the right), correlated with the kernel turned by 180°
    /// and its channel axes swapped (`ConvImageKernel.prepareBackward`): every tap that put
    /// x[iy, ix] into y[oy, ox] carries dy[oy, ox] back to dx[iy, ix].
    init(inputGradientOf g: ConvGeometry) {
        precondition(g.strideHeight == 1 && g.strideWidth == 1, "only a stride-1 convolution's gradient is one")
        inputHeight = g.outputHeight
        inputWidth = g.outputWidth
        inputChannels = g.outputChannels
        outputChannels = g.inputChannels
        kernelHeight = g.kernelHeight
        kernelWidth = g.kernelWidth
        strideHeight = 1
        strideWidth = 1
        padTop = g.kernelHeight - 1 - g.padTop
        padLeft = g.kernelWidth - 1 - g.padLeft
        outputHeight = g.inputHeight
        outputWidth = g.inputWidth
    }
}
