import Foundation
import NNCore

/// What a sweep's submission checks before anything is stored: the base job exactly as
/// `POST /v1/jobs` checks it, that every parameter names a field of that job (one it gives, or one
/// it leaves at its default and accepts), that every listed
/// value and both ends of every range give a valid job, and that every trial the search will
/// run (they are fixed by the seed) is a valid job. Every error is a 422 whose `path` points
/// into the sweep's body.
struct SweepPlan {
    var request: SweepRequest
    var metric: String
    var goal: SweepRequest.Goal
    var trials: [JSONValue]
}

extension ServiceApp {
    func admitSweep(_ body: JSONValue) throws -> SweepPlan {
        let request = try SweepRequest(body)
        let job = request.job
        if job["model_id"] != nil {
            throw ServiceError.invalid(
                "each trial trains a new model: give the job an inline 'model' instead of 'model_id'",
                path: "job.model_id")
        }
        let base = try checkJob(job, at: "job")
        if base.labels.tags.count >= Labels.maxTags {
            throw ServiceError.invalid(
                "each trial also gets the tag sweep:{id}, so the job may carry at most \(Labels.maxTags - 1) tags",
                path: "job.tags")
        }
        let config = base.config
        let (metric, goal) = request.ranking(
            hasValidation: config.validationSplit != nil || config.validationDataset != nil)
        if metric.hasPrefix("val_") && config.validationSplit == nil && config.validationDataset == nil {
            throw ServiceError.invalid(
                "'\(metric)' needs validation data: add \"validation\": {\"split\": 0.2} to the job", path: "metric")
        }
        if metric.hasSuffix("accuracy") && config.loss == .mse {
            throw ServiceError.invalid(
                "accuracy is only measured for classification losses; rank by 'val_loss' or 'loss'", path: "metric")
        }
        for parameter in request.parameters {
            if let reason = parameter.path.missing(in: job) {
                throw ServiceError.invalid(reason, path: "parameters." + parameter.path.text, code: "unknown_field")
            }
        }
        for parameter in request.parameters {
            let extremes = SweepSearch.extremes(parameter)
            if parameter.path.isAbsent(in: job), let (value, _) = extremes.first {
                // A field the job leaves out: its decoder says whether such a field exists.
                let trial = parameter.path.setting(value, in: job)
                do {
                    _ = try validateJob(trial, text: try trial.jsonBytes)
                } catch {
                    if let mapped = ServiceError.mapped(error), mapped.code == "unknown_field" {
                        throw ServiceError.invalid(
                            mapped.message, path: "parameters." + parameter.path.text, code: "unknown_field")
                    }
                }
            }
            for (value, path) in extremes {
                let trial = parameter.path.setting(value, in: job)
                try checkJob(trial, at: path, because: "with \(parameter.path.text) = \(value.brief)")
            }
        }
        let trials = SweepSearch.trials(request)
        for (index, params) in trials.enumerated() {
            try checkJob(
                SweepSearch.jobBody(base: job, params: params), at: "parameters",
                because: "trial \(index + 1) (\(params.brief))")
        }
        return SweepPlan(request: request, metric: metric, goal: goal, trials: trials)
    }

    /// `validateJob` on a job body inside the sweep, its error re-pointed into the sweep's body:
    /// under `at` for the base job, or at `at` itself (a value of a parameter) with the reason.
    @discardableResult
    private func checkJob(_ job: JSONValue, at path: String, because reason: String? = nil) throws -> JobSubmission {
        do {
            return try validateJob(job, text: try job.jsonBytes)
        } catch {
            guard var mapped = ServiceError.mapped(error), mapped.status == 422 || mapped.status == 400 else {
                throw error
            }
            mapped.status = 422
            if let reason {
                mapped.message =
                    "\(reason) the job is invalid\(mapped.path.map { " at \($0)" } ?? ""): \(mapped.message)"
                mapped.path = path
            } else {
                mapped.path = path + (mapped.path.map { $0.hasPrefix("[") ? $0 : "." + $0 } ?? "")
            }
            throw mapped
        }
    }
}
