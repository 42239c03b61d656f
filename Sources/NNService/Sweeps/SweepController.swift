import Foundation
import NNCore

/// Runs sweeps from the store: on each tick it reads every running sweep, launches its next
/// trials while fewer than `parallel` are queued or running, ends the sweep when every trial has
/// ended, and publishes what changed to the sweep event streams. It ticks every
/// `pollInterval`, and at once when a trial's job ends (a job event) or a sweep is created or
/// cancelled; the job events only hurry it, so it needs nothing from the training loop but
/// what the store holds. ASHA's decisions are taken by the store itself
/// (`ServiceStore.applyRungCheck`). After a restart the first tick picks up where the store is.
///
/// `@unchecked Sendable`: `woken`, `stopping`, `running`, `watched` and `noticed` are guarded
/// by `condition`; `snapshots` is only touched by the controller's thread; the rest is immutable.
final class SweepController: @unchecked Sendable {
    let store: any SweepStorage
    let queue: JobQueue
    let events = SweepEvents()
    let maxQueuedJobs: Int
    let pollInterval: TimeInterval
    /// Checks a trial's job body as `POST /v1/jobs` would (`ServiceApp.validateJob`).
    let validate: @Sendable (JSONValue) throws -> JobSubmission
    let log: @Sendable (String) -> Void

    private let condition = NSCondition()
    private var woken = false
    private var stopping = false
    private var running = false
    /// Trial jobs whose end wakes the controller, with their job-event subscription.
    private var watched: [String: Int] = [:]
    /// Sweeps created or cancelled since the last tick: looked at even if no longer running, so
    /// that their streams get the final status.
    private var noticed: Set<String> = []
    private var snapshots: [String: Snapshot] = [:]

    private struct Snapshot {
        var status: SweepRecord.Status
        var trials: [Int: TrialState]
    }

    private struct TrialState: Equatable {
        var status: String
        var epochs: Int
        var metric: Double?
    }

    init(
        store: any SweepStorage, queue: JobQueue, maxQueuedJobs: Int, pollInterval: TimeInterval = 0.25,
        validate: @escaping @Sendable (JSONValue) throws -> JobSubmission, log: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.queue = queue
        self.maxQueuedJobs = maxQueuedJobs
        self.pollInterval = pollInterval
        self.validate = validate
        self.log = log
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        stopping = false
        let thread = Thread { [self] in loop() }
        thread.name = "nnserve-sweeps"
        thread.start()
    }

    /// Stops ticking and waits for the tick in progress.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        let subscriptions = watched
        watched = [:]
        condition.unlock()
        for (job, token) in subscriptions { queue.events.unsubscribe(job: job, token: token) }
    }

    /// Ticks now, looking at `sweep` too (created or cancelled by a request).
    func wake(sweep: String? = nil) {
        condition.lock()
        if let sweep { noticed.insert(sweep) }
        woken = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            if stopping {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            woken = false
            condition.unlock()
            do { try tick() } catch { log("sweeps: \(error)") }
            condition.lock()
            if !woken && !stopping { _ = condition.wait(until: Date().addingTimeInterval(pollInterval)) }
            condition.unlock()
        }
    }

    /// One pass over the running sweeps and those that ended since the last pass.
    func tick() throws {
        condition.lock()
        let extra = noticed
        noticed = []
        condition.unlock()
        let ids = try store.runningSweepIDs()
        for id in ids + Set(snapshots.keys).union(extra).subtracting(ids).sorted() {
            try advance(id)
        }
    }

    private func advance(_ id: String) throws {
        guard var sweep = try store.sweep(id) else {
            snapshots[id] = nil
            return
        }
        var trials = try store.sweepTrials(id)
        if sweep.status == .running {
            var room = sweep.parallel - trials.filter(\.isActive).count
            var launched = false
            for trial in trials where room > 0 && trial.jobID == nil && trial.launchError == nil {
                guard try queue.depth() < maxQueuedJobs else { break }
                if try launch(sweep, trial) { room -= 1 }
                launched = true
            }
            if launched { trials = try store.sweepTrials(id) }
            for trial in trials where trial.isActive { watch(trial.job!) }
            if trials.allSatisfy(\.isFinal) {
                let succeeded = trials.contains { $0.job?.status == .succeeded }
                try store.endSweep(id, status: succeeded ? .succeeded : .failed)
                sweep = try store.sweep(id) ?? sweep
            }
        }
        publishChanges(sweep, trials)
    }

    /// Creates and queues one trial's job; false when it could not be launched (refused or raced).
    private func launch(_ sweep: SweepRecord, _ trial: SweepTrial) throws -> Bool {
        var body = SweepSearch.jobBody(base: sweep.job, params: trial.params)
        let label = sweep.name ?? body["name"]?.stringValue ?? sweep.id
        let suffix = " #\(trial.index + 1)"
        let name = String(label.prefix(Labels.maxNameLength - suffix.count)) + suffix
        let tags = (body["tags"]?.arrayValue ?? []) + [.string("sweep:\(sweep.id)")]
        var members = (body.objectMembers ?? []).filter { $0.0 != "name" && $0.0 != "tags" }
        members += [("name", .string(name)), ("tags", .array(tags))]
        body = .object(members)
        let job: JobSubmission
        do {
            job = try validate(body)
        } catch {
            let mapped = ServiceError.mapped(error)
            let message = mapped.map { $0.message + ($0.path.map { " (at \($0))" } ?? "") } ?? "\(error)"
            try store.refuseTrial(
                sweep: sweep.id, trial: trial.index,
                error: .init(code: mapped?.code ?? "invalid_trial", message: "the trial's job was refused: \(message)"))
            return false
        }
        guard let jobID = try store.launchTrial(sweep: sweep.id, trial: trial.index, job: job) else { return false }
        queue.submit(jobID)
        return true
    }

    /// Wakes the controller when the job ends (the job events learn of it from the store).
    private func watch(_ record: JobRecord) {
        let job = record.id
        condition.lock()
        defer { condition.unlock() }
        guard watched[job] == nil else { return }
        watched[job] = queue.events.subscribe(job: record) { [weak self] event in
            guard case .status(let description) = event, description.status.hasEnded, let self else { return }
            self.condition.lock()
            let token = self.watched.removeValue(forKey: job)
            self.condition.unlock()
            if let token { self.queue.events.unsubscribe(job: job, token: token) }
            self.wake()
        }
    }

    private func publishChanges(_ sweep: SweepRecord, _ trials: [SweepTrial]) {
        let description = SweepDescription(record: sweep, trials: trials, includeTrials: true)
        let ranked = description.rankedTrials
        let previous = snapshots[sweep.id]
        var states: [Int: TrialState] = [:]
        for trial in ranked {
            let state = TrialState(status: trial.status, epochs: trial.epochs, metric: trial.metric)
            states[trial.trial] = state
            if previous?.trials[trial.trial] != state { events.publish(sweep: sweep.id, .trial(trial)) }
        }
        if previous == nil || previous?.status != sweep.status {
            events.publish(sweep: sweep.id, .status(description))
        }
        snapshots[sweep.id] = sweep.status.hasEnded ? nil : Snapshot(status: sweep.status, trials: states)
    }
}
