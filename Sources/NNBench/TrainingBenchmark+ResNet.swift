import NNCore

extension TrainingBenchmark {
    /// W6 resnet-s: a stem (conv 16 3x3 same without bias, batch norm, ReLU), basic blocks of
    /// 16, 16, 32 (stride 2, 1x1 projection shortcut) and 32 filters, global average pooling
    /// and dense 10. The global pool over the last 16x16 maps is an avgpool2d of 16 followed
    /// by flatten, which computes PyTorch's AdaptiveAvgPool2d(1) + Flatten exactly.
    static let w6 = TrainingBenchmark(
        id: "W6",
        spec: resnetSpec(),
        batchSize: 64, optimizer: sgd, samples: 1024)

    /// conv 3x3 (stride), batch norm, ReLU, conv 3x3, batch norm, plus the block's input (or
    /// its 1x1 projection with batch norm when the stride or width changes), then ReLU.
    static func basicBlock(
        _ name: String, from source: String, filters: Int, stride: Int, into builder: inout SpecBuilder
    ) -> String {
        let projects = stride != 1 || builder.channels(of: source) != filters
        builder.add(name + "_conv1", .conv2d(filters, 3, stride: stride), inputs: [source])
        builder.add(name + "_bn1", .batchnorm(momentum: 0.9, epsilon: 1e-5))
        builder.add(name + "_relu1", .activation(.relu))
        builder.add(name + "_conv2", .conv2d(filters, 3, stride: 1))
        builder.add(name + "_bn2", .batchnorm(momentum: 0.9, epsilon: 1e-5))
        var shortcut = source
        if projects {
            builder.add(name + "_proj", .conv2d(filters, 1, stride: stride), inputs: [source])
            builder.add(name + "_projbn", .batchnorm(momentum: 0.9, epsilon: 1e-5))
            shortcut = name + "_projbn"
        }
        builder.add(name + "_sum", .add, inputs: [name + "_bn2", shortcut])
        builder.add(name, .activation(.relu))
        return name
    }

    static func resnetSpec() -> ModelSpec {
        var builder = SpecBuilder(inputShape: [32, 32, 3])
        builder.add("stem_conv", .conv2d(16, 3, stride: 1))
        builder.add("stem_bn", .batchnorm(momentum: 0.9, epsilon: 1e-5))
        builder.add("stem", .activation(.relu))
        var x = "stem"
        for (index, (filters, stride)) in [(16, 1), (16, 1), (32, 2), (32, 1)].enumerated() {
            x = basicBlock("block\(index + 1)", from: x, filters: filters, stride: stride, into: &builder)
        }
        builder.add("pool", .avgpool2d(pool: IntPair(16, 16), stride: IntPair(16, 16)))
        builder.add("flat", .flatten)
        builder.add("fc", .dense(units: 10, activation: .linear, useBias: true))
        return builder.spec
    }
}

/// Builds a named graph spec layer by layer, tracking each layer's channel count (the last
/// axis of its output: a convolution's filters, else its first input's).
struct SpecBuilder {
    private(set) var spec: ModelSpec
    private var channels: [String: Int]
    private var previous = "input"

    init(inputShape: [Int]) {
        spec = ModelSpec(inputShape: inputShape, layers: [])
        channels = ["input": inputShape.last!]
    }

    func channels(of name: String) -> Int { channels[name]! }

    mutating func add(_ name: String, _ layer: LayerSpec, inputs: [String]? = nil) {
        let index = spec.layers.count
        spec.layers.append(layer)
        spec.layerNames[index] = name
        if let inputs { spec.layerInputs[index] = inputs }
        if case let .conv2d(filters, _, _, _, _, _) = layer {
            channels[name] = filters
        } else {
            channels[name] = channels[inputs?.first ?? previous]
        }
        previous = name
    }
}

extension LayerSpec {
    /// A same-padded square convolution without bias, as the ResNet's.
    static func conv2d(_ filters: Int, _ kernel: Int, stride: Int) -> LayerSpec {
        .conv2d(
            filters: filters, kernel: IntPair(kernel, kernel), stride: IntPair(stride, stride),
            padding: kernel == 1 ? .valid : .same, activation: .linear, useBias: false)
    }
}
