import Foundation
import NNCore

/// A job body that passed every check of `POST /v1/jobs`: what storing it needs.
struct JobSubmission {
    var config: TrainingConfig
    var labels: Labels
    var datasetID: String
    /// An inline spec (a new model is created) or the model the job continues.
    var newModel: ModelSpec?
    var existingModel: ModelRecord?
}

extension ServiceApp {
    /// Checks a job body as `POST /v1/jobs` does, storing nothing: its form, its limits, the
    /// data sets and model it names, and everything `admit` checks. `text` is the body's JSON
    /// text, read by the typed decoders (so their paths name the body's members). Sweeps check
    /// each trial's body here before any is stored.
    func validateJob(_ body: JSONValue, text: [UInt8]) throws -> JobSubmission {
        guard body.objectMembers != nil else { throw ServiceError.invalid("the body must be a JSON object", path: nil) }
        let config = try JSONDecoder().decode(TrainingConfig.self, from: Data(text))
        let labels = try Labels.from(body)
        guard config.epochs <= options.maxEpochs else {
            throw ServiceError.invalid("at most \(options.maxEpochs) epochs are allowed on this server", path: "epochs")
        }
        guard let datasetID = body["dataset"]?.stringValue else {
            throw ServiceError.invalid(
                "'dataset' must name a data set id (ds_…)", path: "dataset", code: "missing_field")
        }
        guard let data = try store.dataset(datasetID) else {
            throw ServiceError.invalid(
                "no data set has the id '\(datasetID)'", path: "dataset", code: "unknown_dataset")
        }
        var validation: DatasetRecord?
        if let validationID = config.validationDataset {
            guard let record = try store.dataset(validationID) else {
                throw ServiceError.invalid(
                    "no data set has the id '\(validationID)'", path: "validation.dataset", code: "unknown_dataset")
            }
            validation = record
        }
        var job = JobSubmission(config: config, labels: labels, datasetID: datasetID)
        switch (body["model"], body["model_id"]) {
        case (.some, .some), (.none, .none):
            throw ServiceError.invalid("give exactly one of 'model' (an inline spec) or 'model_id'", path: "model")
        case (.some, .none):
            do {
                let modelData = try JSONEncoderBridge.data(from: text, member: "model")
                let spec = try JSONDecoder().decode(ModelSpec.self, from: modelData)
                try checkLimits(spec, path: "model")
                job.newModel = spec
            } catch let error as SpecError {
                throw error.prefixed("model")
            }
        case (.none, .some(let value)):
            guard let id = value.stringValue, let record = try store.model(id) else {
                throw ServiceError.invalid(
                    "no model has the id '\(value.stringValue ?? value.kindName)'", path: "model_id",
                    code: "unknown_model")
            }
            job.existingModel = record
        }
        try admit(spec: job.newModel ?? job.existingModel!.spec, config: config, data: data, validation: validation)
        return job
    }

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
