/// Samples in memory: inputs `[N, …input_shape]` and their targets.
public struct Dataset: Sendable {
    public enum Targets: Equatable, Sendable {
        /// Class indices in 0..<count: one per sample, or one per step of per-step outputs
        /// (`[N, T]` in row-major order).
        case classes([Int32], count: Int)
        /// Regression or binary targets `[N, …shape]`.
        case values(Tensor)
    }

    public var inputs: Tensor
    public var targets: Targets

    public init(inputs: Tensor, targets: Targets) {
        precondition(inputs.rank >= 2, "inputs need a batch axis")
        switch targets {
        case .classes(let classes, _):
            precondition(
                classes.count == inputs.batchSize || classes.count % max(inputs.batchSize, 1) == 0,
                "one class per sample or per step")
        case .values(let values): precondition(values.batchSize == inputs.batchSize)
        }
        self.inputs = inputs
        self.targets = targets
    }

    public var count: Int { inputs.batchSize }
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// Classes per sample: 1, or the steps of per-step targets.
    var classesPerSample: Int {
        guard case let .classes(classes, _) = targets, count > 0 else { return 1 }
        return classes.count / count
    }

    /// The classes of the samples at `indices`, each sample's steps together.
    private func classes(at indices: [Int], _ classes: [Int32]) -> [Int32] {
        let steps = classesPerSample
        guard steps != 1 else { return indices.map { classes[$0] } }
        return indices.flatMap { classes[($0 * steps)..<(($0 + 1) * steps)] }
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        switch targets {
        case let .classes(classes, count):
            return Dataset(
                inputs: inputs.gathering(rows: indices),
                targets: .classes(self.classes(at: indices, classes), count: count))
        case let .values(values):
            return Dataset(inputs: inputs.gathering(rows: indices), targets: .values(values.gathering(rows: indices)))
        }
    }

    /// The targets of the samples at `indices`.
    func targetBatch(_ indices: [Int]) -> TargetBatch {
        switch targets {
        case let .classes(classes, _): return .classes(self.classes(at: indices, classes))
        case let .values(values): return .values(values.gathering(rows: indices))
        }
    }

    /// Splits off the last `fraction` of a seeded permutation as validation data.
    public func split(validationFraction fraction: Double, seed: UInt64) -> (train: Dataset, validation: Dataset) {
        var rng = SeededGenerator(seed: seed ^ 0x5EED_5A11_D00D_F00D)
        let order = rng.permutation(count)
        let validationCount = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        let cut = count - validationCount
        return (subset(Array(order[..<cut])), subset(Array(order[cut...])))
    }
}
