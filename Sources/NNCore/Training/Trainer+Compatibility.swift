extension Trainer {
    /// Two-class index targets with one output unit and binary cross-entropy are 0/1 values:
    /// an integer 0/1 label column is guessed to be classes, and this is what the user means.
    public static func adapted(_ data: Dataset, loss: LossFunction, network: Network) -> Dataset {
        guard loss == .binaryCrossEntropy, case let .classes(classes, count) = data.targets, count <= 2,
            network.summary.last!.outputShape == [1]
        else { return data }
        let values = Tensor(shape: [classes.count, 1], scalars: classes.map { Float($0) })
        return Dataset(inputs: data.inputs, targets: .values(values))
    }

    /// Checks that the loss fits the data's targets and the model's output before anything
    /// runs; errors name the model's last layer or the loss.
    public static func checkCompatibility(network: Network, loss: LossFunction, data: Dataset) throws {
        let output = network.summary.last!.outputShape
        let last = network.spec.layers.count - 1
        let unitsPath = "model.layers[\(last)]"
        guard Array(data.sampleShape) == network.spec.inputShape else {
            throw SpecError(
                code: "shape_mismatch", path: "model.input_shape",
                "the model's input_shape \(network.spec.inputShape) does not match the data set's \(data.sampleShape)")
        }
        switch (loss, data.targets) {
        case let (.crossEntropy, .classes(_, count)):
            guard output == [count] else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "cross_entropy needs one output per class: the data set has \(count) classes but the model outputs \(output)"
                )
            }
        case (.crossEntropy, .values):
            throw SpecError(
                code: "incompatible_loss", path: "loss",
                "cross_entropy needs class-index targets; this data set has numeric targets (use mse or binary_cross_entropy)"
            )
        case let (.binaryCrossEntropy, .values(values)):
            guard Array(values.shape.dropFirst()) == output else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "binary_cross_entropy needs outputs shaped like the targets \(Array(values.shape.dropFirst())); the model outputs \(output)"
                )
            }
            guard values.scalars.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SpecError(
                    code: "incompatible_loss", path: "loss", "binary_cross_entropy needs targets that are 0 or 1")
            }
        case let (.mse, .values(values)):
            guard Array(values.shape.dropFirst()) == output else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "mse needs outputs shaped like the targets \(Array(values.shape.dropFirst())); the model outputs \(output)"
                )
            }
        case let (.binaryCrossEntropy, .classes(_, count)), let (.mse, .classes(_, count)):
            throw SpecError(
                code: "incompatible_loss", path: "loss",
                "the data set's targets are \(count) classes: use cross_entropy, or upload with \"task\": \"regression\""
            )
        }
    }

    /// Augmentation moves pixels, so it needs image inputs `[H, W, C]`.
    static func checkAugmentation(_ augmentation: ImageAugmentation?, network: Network) throws {
        guard augmentation != nil, network.spec.inputShape.count != 3 else { return }
        throw SpecError(
            code: "incompatible_augmentation", path: "augmentation",
            "augmentation needs image inputs [height, width, channels]; this model's input_shape is \(network.spec.inputShape)"
        )
    }
}
