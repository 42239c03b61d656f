/// Builds the internal layers for one spec layer, with initial weights drawn from `rng`.
enum LayerFactory {
    static func make(_ spec: LayerSpec, input: [Int], next: LayerSpec?, rng: inout SeededGenerator) throws -> [Layer] {
        switch spec {
        case let .dense(units, activation, useBias):
            let features = input[input.count - 1]
            let weight = Initializer.uniform(
                shape: [units, features], fanIn: features, fanOut: units,
                relu: activation == .relu, rng: &rng)
            let dense = DenseLayer(inputSize: features, outputSize: units, useBias: useBias, weight: weight)
            return activation == .linear ? [dense] : [dense, ActivationLayer(activation)]
        case let .activation(function):
            return [ActivationLayer(function)]
        case .flatten:
            return [FlattenLayer()]
        case let .dropout(rate):
            return [DropoutLayer(rate: Float(rate))]
        case let .conv2d(filters, kernel, stride, padding, activation, useBias):
            let geometry = ConvGeometry(
                height: input[0], width: input[1], channels: input[2], filters: filters,
                kernel: kernel, stride: stride, padding: padding)
            let taps = kernel.height * kernel.width
            let weight = Initializer.uniform(
                shape: geometry.weightShape, fanIn: taps * input[2], fanOut: taps * filters,
                relu: activation == .relu, rng: &rng)
            let conv = Conv2DLayer(geometry: geometry, weight: weight, useBias: useBias)
            return activation == .linear ? [conv] : [conv, ActivationLayer(activation)]
        case let .maxpool2d(pool, stride):
            return [MaxPool2DLayer(pool: pool, stride: stride)]
        case let .avgpool2d(pool, stride):
            return [AvgPool2DLayer(pool: pool, stride: stride)]
        case let .batchnorm(momentum, epsilon):
            return [
                BatchNormLayer(features: input[input.count - 1], momentum: Float(momentum), epsilon: Float(epsilon))
            ]
        case let .rnn(units, activation, returnSequences):
            return [
                RNNLayer(
                    features: input[1], units: units, activation: activation,
                    returnSequences: returnSequences, rng: &rng)
            ]
        case let .lstm(units, returnSequences):
            return [LSTMLayer(features: input[1], units: units, returnSequences: returnSequences, rng: &rng)]
        case .add, .concatenate:
            return []  // merges are built by `NetworkSegments`
        case .embedding, .conv1d, .maxpool1d, .avgpool1d, .globalAvgpool:
            return makeSequenceLayers(spec, input: input, rng: &rng)
        }
    }
}

extension LayerFactory {
    /// The token and sequence layers (`LayerSpec+Sequence`).
    static func makeSequenceLayers(_ spec: LayerSpec, input: [Int], rng: inout SeededGenerator) -> [Layer] {
        switch spec {
        case let .embedding(inputDim, outputDim):
            return [EmbeddingLayer(inputDim: inputDim, outputDim: outputDim, rng: &rng)]
        case let .conv1d(filters, kernel, stride, padding, activation):
            let weight = Initializer.uniform(
                shape: [filters, input[1], kernel], fanIn: kernel * input[1], fanOut: kernel * filters,
                relu: activation == .relu, rng: &rng)
            let conv = SequenceConvolution.convolution(
                steps: input[0], channels: input[1], filters: filters, kernel: kernel, stride: stride,
                padding: padding, weight: weight)
            return activation == .linear ? [conv] : [conv, ActivationLayer(activation)]
        case let .maxpool1d(pool, stride):
            return [SequenceConvolution.maxPool(pool: pool, stride: stride)]
        case let .avgpool1d(pool, stride):
            return [SequenceConvolution.averagePool(pool: pool, stride: stride)]
        default:
            return [GlobalAvgPoolLayer()]
        }
    }
}
