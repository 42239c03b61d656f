/// A sweep as the API answers it: its settings, its trials best first, and the best trial.
struct SweepDescription: Encodable, Sendable {
    var record: SweepRecord
    /// Every trial, or nil in lists (which answer the counts and the best only).
    var trials: [SweepTrial]
    var includeTrials: Bool

    struct Trial: Encodable, Sendable {
        var trial: Int
        var jobID: String?
        var modelID: String?
        var params: JSONValue
        var status: String
        var metric: Double?
        var epochs: Int
        var stoppedBy: String?
        var error: JobRecord.JobError?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(trial, forKey: "trial")
            try c.encode(jobID, forKey: "job_id")
            try c.encode(modelID, forKey: "model_id")
            try c.encode(params, forKey: "params")
            try c.encode(status, forKey: "status")
            try c.encode(metric, forKey: "metric")
            try c.encode(epochs, forKey: "epochs")
            try c.encode(stoppedBy, forKey: "stopped_by")
            try c.encode(error, forKey: "error")
        }
    }

    /// The trials as answered, best first: trials with a metric by the sweep's goal (ties in
    /// trial order), then the others in trial order.
    var rankedTrials: [Trial] {
        let metric = record.metric
        let maximize = record.goal == .maximize
        return trials.map { trial in
            let status: String =
                if trial.launchError != nil { "failed" } else if trial.jobID == nil {
                    record.status == .running ? "pending" : "cancelled"
                } else { trial.job?.status.rawValue ?? "deleted" }
            return Trial(
                trial: trial.index + 1, jobID: trial.jobID, modelID: trial.job?.modelID, params: trial.params,
                status: status, metric: trial.metric(metric), epochs: trial.job?.epoch ?? 0,
                stoppedBy: trial.job?.stoppedBy, error: trial.launchError ?? trial.job?.error)
        }.sorted { a, b in
            switch (a.metric, b.metric) {
            case let (x?, y?) where x != y: return maximize ? x > y : x < y
            case (.some, .none): return true
            case (.none, .some): return false
            default: return a.trial < b.trial
            }
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(record.id, forKey: "id")
        try c.encode(record.name, forKey: "name")
        try c.encode(record.status, forKey: "status")
        try c.encode(record.search.rawValue, forKey: "search")
        try c.encode(record.trialCount, forKey: "trial_count")
        try c.encode(record.parallel, forKey: "parallel")
        try c.encode(record.metric, forKey: "metric")
        try c.encode(record.goal.rawValue, forKey: "goal")
        if let asha = record.earlyTermination {
            var e = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: "early_termination")
            try e.encode("asha", forKey: "type")
            try e.encode(asha.minEpochs, forKey: "min_epochs")
            try e.encode(asha.reductionFactor, forKey: "reduction_factor")
        } else {
            try c.encodeNil(forKey: "early_termination")
        }
        try c.encode(record.seed, forKey: "seed")
        try c.encode(record.job, forKey: "job")
        try c.encode(record.parameters, forKey: "parameters")
        let ranked = rankedTrials
        var counts: [String: Int] = [:]
        for status in ["pending", "queued", "running", "succeeded", "failed", "cancelled"] { counts[status] = 0 }
        for trial in ranked { counts[trial.status, default: 0] += 1 }
        try c.encode(counts, forKey: "counts")
        try c.encode(ranked.filter { $0.stoppedBy != nil }.count, forKey: "stopped_early")
        if let best = ranked.first(where: { $0.metric != nil }) {
            var b = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: "best")
            try b.encode(best.trial, forKey: "trial")
            try b.encode(best.jobID, forKey: "job_id")
            try b.encode(best.modelID, forKey: "model_id")
            try b.encode(best.params, forKey: "params")
            try b.encode(best.metric, forKey: "metric")
        } else {
            try c.encodeNil(forKey: "best")
        }
        if includeTrials { try c.encode(ranked, forKey: "trials") }
        try c.encode(record.createdAt, forKey: "created_at")
        try c.encode(record.finishedAt, forKey: "finished_at")
    }
}
