import Foundation
import NNCore

/// One job's training on a worker thread: load its data and model, resume from the job's
/// last checkpoint if it has one, then run epochs, recording metrics and checkpoints in the
/// store after each, until it finishes, fails, is cancelled or the server stops.
struct TrainingRun {
    let queue: JobQueue
    let jobID: String

    private var store: ServiceStore { queue.store }

    func execute() {
        do {
            guard let started = try store.transition(jobID, .start) else { return }
            queue.events.publish(job: jobID, .status(started.description))
            try train(started)
        } catch TrainingError.stopped {
            if queue.isStopping, let job = try? store.transition(jobID, .interrupt) {
                queue.log("job \(jobID) interrupted by shutdown; it resumes from its last checkpoint at the next start")
                queue.events.publish(job: jobID, .status(job.description))
            }
        } catch let error as TrainingError {
            finish(.fail, error: .init(code: "diverged", message: error.description))
        } catch let error as ServiceError {
            finish(.fail, error: .init(code: error.code, message: error.message))
        } catch let error as SpecError {
            finish(.fail, error: .init(code: error.code, message: "\(error.path): \(error.message)"))
        } catch {
            queue.log("job \(jobID) failed: \(error)")
            finish(.fail, error: .init(code: "internal_error", message: "training failed unexpectedly: \(error)"))
        }
    }

    private func finish(_ event: JobStatus.Event, error: JobRecord.JobError? = nil, stoppedEarly: Bool = false) {
        if let job = try? store.transition(jobID, event, error: error, stoppedEarly: stoppedEarly) {
            queue.events.publish(job: jobID, .status(job.description))
        }
    }

    private func train(_ job: JobRecord) throws {
        guard let model = try store.model(job.modelID) else { throw ServiceError.notFound("model", job.modelID) }
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
            threads: queue.threadsPerJob)
        let id = jobID
        let queue = self.queue
        trainer.shouldStop = { queue.isCancelled(id) }
        if let resume = try store.resumePoint(for: job) {
            try TrainingCheckpoint.restore(resume.state, network: network, trainer: trainer)
        }
        // With restore_best, the epoch early stopping judges best always gets a checkpoint and
        // keeps it, so the model can end with its weights.
        let restoreBest = config.earlyStopping?.restoreBest ?? false
        while !trainer.isFinished {
            let bestBefore = trainer.progress.bestEpoch
            let metrics = try trainer.runEpoch()
            queue.counters.add(samples: training.count)
            let improved = restoreBest && trainer.progress.bestEpoch != bestBefore
            let checkpointDue = metrics.epoch % config.checkpointEvery == 0 || trainer.isFinished || improved
            let state = checkpointDue ? TrainingCheckpoint.encode(network: network, trainer: trainer) : nil
            let best = restoreBest ? trainer.progress.bestEpoch : nil
            guard
                try store.recordEpoch(
                    job: job, metrics: metrics, checkpoint: state, loss: config.loss, pinnedEpoch: best,
                    weightsEpoch: trainer.progress.stoppedEarly ? best : nil)
            else {
                // No longer running: a client cancelled it, or its sweep's early termination
                // stopped it in the transaction that recorded this epoch (news to listeners).
                if let stopped = try store.job(jobID), stopped.stoppedBy != nil, stopped.status == .cancelled {
                    queue.events.publish(job: jobID, .epoch(metrics))
                    queue.events.publish(job: jobID, .status(stopped.description))
                }
                return
            }
            queue.events.publish(job: jobID, .epoch(metrics))
        }
        finish(.succeed, stoppedEarly: trainer.progress.stoppedEarly)
    }
}
