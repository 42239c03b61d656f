import NNCore

/// A stored sweep: its request (base job, parameters, search settings) and its state.
public struct SweepRecord: Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case running, succeeded, failed, cancelled
        public var hasEnded: Bool { self != .running }
    }

    var id: String
    var name: String?
    var job: JSONValue
    var parameters: JSONValue
    var search: SweepRequest.Search
    var trialCount: Int
    var parallel: Int
    var metric: String
    var goal: SweepRequest.Goal
    var earlyTermination: SweepRequest.EarlyTermination?
    var seed: UInt64
    var status: Status
    var createdAt: String
    var finishedAt: String?

    /// The rule the store applies at each rung, when the sweep terminates early.
    var ashaRule: ASHARule? {
        earlyTermination.map {
            ASHARule(minEpochs: $0.minEpochs, reductionFactor: $0.reductionFactor, maximize: goal == .maximize)
        }
    }
}

/// One trial of a sweep: its parameters and, once launched, its job's state.
struct SweepTrial: Sendable {
    var index: Int
    var params: JSONValue
    var jobID: String?
    /// Why the trial could not be launched (its job failed validation when its turn came).
    var launchError: JobRecord.JobError?
    var job: JobRecord?

    /// Launched and neither ended nor gone.
    var isActive: Bool { job.map { !$0.status.hasEnded } ?? false }
    /// Will never run again: ended, gone, or refused at launch.
    var isFinal: Bool { launchError != nil || (jobID != nil && !isActive) }

    func metric(_ name: String) -> Double? {
        guard let latest = job?.latest else { return nil }
        let value: Double? =
            switch name {
            case "loss": latest.loss
            case "val_loss": latest.valLoss
            case "accuracy": latest.accuracy
            case "val_accuracy": latest.valAccuracy
            default: nil
            }
        return value.flatMap { $0.isNaN ? nil : $0 }
    }
}
