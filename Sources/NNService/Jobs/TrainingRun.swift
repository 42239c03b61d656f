import Foundation
import NNCore

/// One claimed job's training by a worker: load its data and model, resume from the job's
/// last checkpoint if it has one, then run epochs, recording metrics and checkpoints in the
/// store after each while the worker holds the job's lease, until it finishes, fails, is
/// cancelled, loses its lease, or the worker stops.
struct TrainingRun {
    let worker: TrainingWorker
    let job: JobRecord

    private var store: any ServiceStorage { worker.store }
    private var jobID: String { job.id }

    func execute() {
        let lease = LeaseKeeper(
            store: store, job: jobID, owner: worker.owner, leaseSeconds: worker.options.leaseSeconds,
            interval: worker.options.leaseCheckInterval)
        lease.start()
        defer { lease.end() }
        worker.events?.publish(job: jobID, .status(job.description))
        do {
            try train(job, lease: lease)
        } catch TrainingError.stopped {
            if worker.isStopping,
                let requeued = try? store.transition(
                    jobID, .interrupt, owner: worker.owner, error: nil, stoppedEarly: false)
            {
                worker.events?.publish(job: jobID, .status(requeued.description))
                worker.log("job \(jobID) interrupted by shutdown; it resumes from its last checkpoint")
            }
        } catch let error as TrainingError {
            finish(.fail, error: .init(code: "diverged", message: error.description))
        } catch let error as ServiceError {
            finish(.fail, error: .init(code: error.code, message: error.message))
        } catch StorageError.notFound(let message) {
            finish(.fail, error: .init(code: "not_found", message: message))
        } catch let error as SpecError {
            finish(.fail, error: .init(code: error.code, message: "\(error.path): \(error.message)"))
        } catch {
            worker.log("job \(jobID) failed: \(error)")
            finish(.fail, error: .init(code: "internal_error", message: "training failed unexpectedly: \(error)"))
        }
    }

    private func finish(_ event: JobStatus.Event, error: JobRecord.JobError? = nil, stoppedEarly: Bool = false) {
        if let ended = try? store.transition(
            jobID, event, owner: worker.owner, error: error, stoppedEarly: stoppedEarly)
        {
            worker.events?.publish(job: jobID, .status(ended.description))
        }
    }

    private func train(_ job: JobRecord, lease: LeaseKeeper) throws {
        guard let model = try store.model(job.modelID) else { throw StorageError.missing("model", job.modelID) }
        guard let data = try store.loadDataset(job.datasetID) else {
            throw ServiceError(422, "unknown_dataset", "data set \(job.datasetID) no longer exists")
        }
        let config = job.config
        var training = data
        var validation: Dataset?
        if let split = config.validationSplit {
            (training, validation) = data.split(validationFraction: split, seed: config.seed)
        } else if let id = config.validationDataset {
            guard let loaded = try store.loadDataset(id) else {
                throw ServiceError(422, "unknown_dataset", "validation data set \(id) no longer exists")
            }
            validation = loaded
        }
        let network = try Network(spec: model.spec, seed: config.seed)
        // Continuing an existing model starts from its current weights (trained or uploaded);
        // a job's own checkpoint, restored below, overrides them when the job resumes.
        if let weights = try store.modelWeights(job.modelID) {
            try network.loadWeights(try SafetensorsFile(bytes: weights.bytes))
        }
        let trainer = try Trainer(
            network: network, config: config, training: training, validation: validation,
            threads: worker.threadsPerJob)
        let worker = self.worker
        trainer.shouldStop = { lease.mustStop || worker.isStopping }
        if let resume = try store.resumePoint(for: job) {
            try TrainingCheckpoint.restore(resume.state, network: network, trainer: trainer)
        }
        // With restore_best, the epoch early stopping judges best always gets a checkpoint and
        // keeps it, so the model can end with its weights.
        let restoreBest = config.earlyStopping?.restoreBest ?? false
        while !trainer.isFinished {
            let bestBefore = trainer.progress.bestEpoch
            let metrics = try trainer.runEpoch()
            worker.counters.add(samples: training.count)
            let improved = restoreBest && trainer.progress.bestEpoch != bestBefore
            let checkpointDue = metrics.epoch % config.checkpointEvery == 0 || trainer.isFinished || improved
            let state = checkpointDue ? TrainingCheckpoint.encode(network: network, trainer: trainer) : nil
            let best = restoreBest ? trainer.progress.bestEpoch : nil
            guard
                try store.recordEpoch(
                    job: job, owner: worker.owner, metrics: metrics, checkpoint: state, loss: config.loss,
                    pinnedEpoch: best,
                    weightsEpoch: trainer.progress.stoppedEarly ? best : nil)
            else {
                // No longer running: a client cancelled it, or its sweep's early termination
                // stopped it in the transaction that recorded this epoch (news to listeners).
                if let stopped = try store.job(jobID), stopped.stoppedBy != nil, stopped.status == .cancelled {
                    worker.events?.publish(job: jobID, .epoch(metrics))
                    worker.events?.publish(job: jobID, .status(stopped.description))
                }
                return
            }
            worker.events?.publish(job: jobID, .epoch(metrics))
        }
        finish(.succeed, stoppedEarly: trainer.progress.stoppedEarly)
    }
}
