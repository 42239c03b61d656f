/// Builds the internal layers for one spec layer, with initial weights drawn from `rng`.
enum LayerFactory {
    static func make(_ spec: LayerSpec, input: [Int], next: LayerSpec?, rng: inout SeededGenerator) throws -> [Layer] {
        switch spec {
        case let .dense(units, activation, useBias):
            let weight = Initializer.uniform(
                shape: [units, input[0]], fanIn: input[0], fanOut: units,
                relu: activation == .relu, rng: &rng)
            let dense = DenseLayer(inputSize: input[0], outputSize: units, useBias: useBias, weight: weight)
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
        }
    }
}
