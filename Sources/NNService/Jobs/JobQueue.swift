import Foundation
import NNCore

/// The training queue: the `queued` rows of the store's jobs table, taken by workers through
/// claims (`ServiceStorage.claimNextJob`). The API side submits and cancels through it.
/// Training runs in `TrainingWorker` loops: in `nnserve worker` processes (the server's
/// default), or, with `workers` > 0 here, on threads of this process (the in-process mode that
/// the test harness uses), running the very same loop.
///
/// `@unchecked Sendable`: `workers` is guarded by `lock`; the rest is immutable.
public final class JobQueue: @unchecked Sendable {
    let store: any ServiceStorage
    let events: JobEvents
    let localWorkers: Int
    let threadsPerJob: Int
    let log: @Sendable (String) -> Void
    public let counters: TrainingCounters
    let options: TrainingWorker.Options

    private let lock = NSLock()
    private var workers: [TrainingWorker] = []

    /// `workers`: loops started on threads of this process (0: training happens elsewhere).
    public init(
        store: any ServiceStorage, events: JobEvents, workers: Int, threadsPerJob: Int,
        counters: TrainingCounters = TrainingCounters(), options: TrainingWorker.Options = .init(),
        log: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.events = events
        self.localWorkers = max(0, workers)
        self.threadsPerJob = max(1, threadsPerJob)
        self.counters = counters
        self.options = options
        self.log = log
    }

    /// With `requeueRunning` (the one process that owns an embedded store, at its start), jobs
    /// left running by a stop or crash go back to the queue, counted as crashes as the crash
    /// rules say; then the local workers start.
    public func start(requeueRunning: Bool = true) throws {
        if requeueRunning { try Self.recover(store, .all, log: log) }
        let started = (0..<localWorkers).map { index in
            TrainingWorker(
                store: store, owner: TrainingWorker.processOwner + "/\(index)", threadsPerJob: threadsPerJob,
                options: options, counters: counters, events: events, log: log)
        }
        lock.lock()
        workers = started
        lock.unlock()
        for (index, worker) in started.enumerated() {
            let thread = Thread { worker.run() }
            thread.name = "nnserve-worker-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Takes back abandoned running jobs and logs what became of them.
    public static func recover(
        _ store: any ServiceStorage, _ which: AbandonedJobs, log: @Sendable (String) -> Void
    ) throws {
        let (requeued, crashed) = try store.requeueAbandonedJobs(which)
        for id in crashed {
            log("job \(id) failed: its process died \(JobRecord.maxCrashes) times while it ran (error code crashed)")
        }
        if !requeued.isEmpty { log("resuming \(requeued.count) queued job(s)") }
    }

    /// A new job was stored: local workers look at once instead of at their next poll.
    public func submit(_ id: String) {
        lock.lock()
        let current = workers
        lock.unlock()
        for worker in current { worker.wake() }
    }

    /// Jobs waiting to run, in the store (whoever trains them).
    public func depth() throws -> Int { try store.jobCounts()[.queued] ?? 0 }

    /// Cancels a queued or running job; 409 when it has already ended. The worker running it
    /// sees the cancel at its next lease check, in whatever process it runs.
    public func cancel(_ id: String) throws -> JobRecord {
        guard let job = try store.job(id) else { throw StorageError.missing("job", id) }
        guard let updated = try store.transition(id, .cancel) else {
            throw StorageError.conflict(
                "job \(id) has already ended (\(job.status.rawValue)); only queued or running jobs can be cancelled")
        }
        return updated
    }

    /// Stops the local workers: a running job stops at its next batch and goes back to the
    /// queue, to resume from its last checkpoint. Waits up to `timeout` seconds.
    public func stop(timeout: TimeInterval) {
        lock.lock()
        let current = workers
        lock.unlock()
        let deadline = Date().addingTimeInterval(timeout)
        for worker in current { worker.stop() }
        for worker in current { worker.waitUntilStopped(deadline: deadline) }
    }
}

/// Counters for the metrics endpoint.
///
/// `@unchecked Sendable`: `samples` is guarded by `lock`.
public final class TrainingCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var samples = 0

    public init() {}

    func add(samples count: Int) {
        lock.lock()
        samples += count
        lock.unlock()
    }

    public var trainingSamples: Int {
        lock.lock()
        defer { lock.unlock() }
        return samples
    }
}
