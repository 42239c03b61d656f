import NNCore

extension ServiceApp {
    /// Everything about a job that can be known before it runs, checked from the spec's summary
    /// and the data sets' stored descriptions alone (no samples loaded, no network built), so that
    /// a job that cannot run is a 422 at submission rather than a failure when it starts:
    /// augmentation on inputs that are not images, shapes that do not fit the data, a loss that
    /// does not fit the targets, and the memory budget.
    func admit(spec: ModelSpec, config: TrainingConfig, data: DatasetRecord, validation: DatasetRecord?) throws {
        let summary: [ModelSpec.LayerSummary]
        do {
            summary = try spec.validate()
        } catch let error as SpecError {
            throw error.prefixed("model")
        }
        try Trainer.checkAugmentation(config.augmentation, inputShape: data.inputShape)
        let output = summary.last!.outputShape
        for (record, path) in [(data, "dataset"), (validation, "validation.dataset")] {
            guard let record else { continue }
            try Trainer.checkCompatibility(
                spec: spec, outputShape: output, loss: config.loss, sampleShape: record.inputShape,
                targets: try targetSummary(record, loss: config.loss))
            try checkSequenceValues(spec: spec, outputShape: output, loss: config.loss, record: record, path: path)
        }
        let estimate = spec.memoryEstimate(summary: summary, optimizerSlots: ModelSpec.optimizerSlots(config.optimizer))
        let batch = min(config.batchSize, max(data.rows, 1))
        // The data sets are held in memory as floats while the job runs (read from their blobs).
        let dataBytes = 2 * Double(data.bytes + (validation?.bytes ?? 0))
        try MemoryBudget.check(
            estimate.training(batchSize: batch) + dataBytes, limit: options.maxMemoryBytes,
            what: "this job (batch \(batch), \(MemoryBudget.mebibytes(estimate.perSampleBytes)) per sample)",
            path: "batch_size", advice: "use a smaller batch_size or a smaller model")
    }

    /// The data set's targets as its description tells; whether numeric targets are all 0/1
    /// (needed for binary cross-entropy only) is read from the targets column alone.
    private func targetSummary(_ record: DatasetRecord, loss: LossFunction) throws -> Trainer.TargetSummary {
        switch record.target {
        case let .classes(count):
            return .classes(count: count)
        case let .values(shape):
            let binary = loss == .binaryCrossEntropy ? try store.datasetTargetsAreBinary(record.id) : nil
            return .values(shape: shape, binary: binary)
        }
    }
}
