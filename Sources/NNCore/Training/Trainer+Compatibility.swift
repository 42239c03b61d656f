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
        let targets: TargetSummary
        switch data.targets {
        case let .classes(_, count):
            // Per-step classes (made by `stepClasses`) are one index per step of a [T, C] output.
            let perStep = network.summary.last!.outputShape.count == 2
            targets = perStep ? .values(shape: [data.classesPerSample], binary: nil) : .classes(count: count)
        case let .values(values):
            targets = .values(
                shape: Array(values.shape.dropFirst()), binary: values.scalars.allSatisfy({ $0 == 0 || $0 == 1 }))
        }
        try checkCompatibility(
            spec: network.spec, outputShape: network.summary.last!.outputShape, loss: loss,
            sampleShape: Array(data.sampleShape), targets: targets)
    }

    /// What a data set's targets are, as its stored description tells (no samples needed).
    public enum TargetSummary: Equatable, Sendable {
        case classes(count: Int)
        /// `binary`: whether every value is 0 or 1 (nil when not known).
        case values(shape: [Int], binary: Bool?)

        /// As `adapted` turns them: two-class index targets for one output unit and
        /// binary cross-entropy are 0/1 values.
        public func adapted(loss: LossFunction, outputShape: [Int]) -> TargetSummary {
            guard loss == .binaryCrossEntropy, case let .classes(count) = self, count <= 2, outputShape == [1] else {
                return self
            }
            return .values(shape: [1], binary: true)
        }
    }

    /// The same checks from the spec and a description of the data alone, so that a job is
    /// refused at submission without loading its data or building its network.
    public static func checkCompatibility(
        spec: ModelSpec, outputShape output: [Int], loss: LossFunction, sampleShape: [Int], targets: TargetSummary
    ) throws {
        let last = spec.layers.count - 1
        let unitsPath = "model.layers[\(last)]"
        guard sampleShape == spec.inputShape else {
            throw SpecError(
                code: "shape_mismatch", path: "model.input_shape",
                "the model's input_shape \(spec.inputShape) does not match the data set's \(sampleShape)")
        }
        switch (loss, targets.adapted(loss: loss, outputShape: output)) {
        case let (.crossEntropy, .classes(count)):
            guard output == [count] else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "cross_entropy needs one output per class: the data set has \(count) classes but the model outputs \(output)"
                )
            }
        case let (.crossEntropy, .values(shape, _)) where output.count == 2:
            // Per-step outputs [T, C]: the targets hold one class index per step.
            guard shape == [output[0]] else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "per-step cross_entropy needs one class index per step: the model outputs \(output), so each target must be an array of \(output[0]) class indices; the data set's targets are \(shape)"
                )
            }
        case (.crossEntropy, .values):
            throw SpecError(
                code: "incompatible_loss", path: "loss",
                "cross_entropy needs class-index targets; this data set has numeric targets (use mse or binary_cross_entropy)"
            )
        case let (.binaryCrossEntropy, .values(shape, binary)):
            guard shape == output else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "binary_cross_entropy needs outputs shaped like the targets \(shape); the model outputs \(output)"
                )
            }
            guard binary != false else {
                throw SpecError(
                    code: "incompatible_loss", path: "loss", "binary_cross_entropy needs targets that are 0 or 1")
            }
        case let (.mse, .values(shape, _)):
            guard shape == output else {
                throw SpecError(
                    code: "shape_mismatch", path: unitsPath,
                    "mse needs outputs shaped like the targets \(shape); the model outputs \(output)"
                )
            }
        case let (.binaryCrossEntropy, .classes(count)), let (.mse, .classes(count)):
            throw SpecError(
                code: "incompatible_loss", path: "loss",
                "the data set's targets are \(count) classes: use cross_entropy, or upload with \"task\": \"regression\""
            )
        }
    }

    /// Augmentation moves pixels, so it needs image inputs `[H, W, C]`.
    public static func checkAugmentation(_ augmentation: ImageAugmentation?, inputShape: [Int]) throws {
        guard augmentation != nil, inputShape.count != 3 else { return }
        throw SpecError(
            code: "incompatible_augmentation", path: "augmentation",
            "augmentation needs image inputs [height, width, channels]; the input_shape here is \(inputShape)"
        )
    }
}
