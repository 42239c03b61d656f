import Foundation
import NNCore

/// The training queue: persisted as the `queued` rows of the jobs table and served by
/// `workers` threads in submission order. At start, jobs left running by a stop or crash
/// are queued again and resume from their last checkpoint.
///
/// `@unchecked Sendable`: `pending`, `cancelled`, `running`, `stopping` and `activeWorkers`
/// are guarded by `condition`; the rest is immutable.
public final class JobQueue: @unchecked Sendable {
    let store: ServiceStore
    let events: JobEvents
    let workerCount: Int
    let threadsPerJob: Int
    let log: @Sendable (String) -> Void
    let counters: TrainingCounters

    private let condition = NSCondition()
    private var pending: [String] = []
    private var cancelled: Set<String> = []
    private var running: Set<String> = []
    private var stopping = false
    private var activeWorkers = 0

    public init(
        store: ServiceStore, events: JobEvents, workers: Int, threadsPerJob: Int,
        counters: TrainingCounters = TrainingCounters(), log: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.events = events
        self.workerCount = max(1, workers)
        self.threadsPerJob = max(1, threadsPerJob)
        self.counters = counters
        self.log = log
    }

    /// Requeues interrupted jobs and starts the workers.
    public func start() throws {
        let (queued, crashed) = try store.requeueInterruptedJobs()
        for id in crashed {
            log("job \(id) failed: the process died \(ServiceStore.maxCrashes) times while it ran (error code crashed)")
        }
        // Read `queued` before the workers start: `pending` shares its buffer, which a worker
        // then changes in place (ThreadSanitizer cannot see the reference count that orders it).
        if !queued.isEmpty { log("resuming \(queued.count) queued job(s)") }
        condition.lock()
        pending = queued
        activeWorkers = workerCount
        condition.unlock()
        for index in 0..<workerCount {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "nnserve-worker-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    public func submit(_ id: String) {
        condition.lock()
        pending.append(id)
        condition.signal()
        condition.unlock()
    }

    /// Jobs waiting to run.
    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Cancels a queued or running job; 409 when it has already ended.
    public func cancel(_ id: String) throws -> JobRecord {
        guard let job = try store.job(id) else { throw ServiceError.notFound("job", id) }
        guard let updated = try store.transition(id, .cancel) else {
            throw ServiceError.conflict(
                "job \(id) has already ended (\(job.status.rawValue)); only queued or running jobs can be cancelled")
        }
        condition.lock()
        cancelled.insert(id)
        pending.removeAll { $0 == id }
        condition.unlock()
        events.publish(job: id, .status(updated.description))
        return updated
    }

    func isCancelled(_ id: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled.contains(id) || stopping
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Stops taking jobs; a running job stops at its next batch and goes back to the queue,
    /// to resume from its last checkpoint at the next start. Waits up to `timeout` seconds.
    public func stop(timeout: TimeInterval) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(timeout)
        while activeWorkers > 0 && condition.wait(until: deadline) {}
        condition.unlock()
    }

    private func workerLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if stopping {
                activeWorkers -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let id = pending.removeFirst()
            running.insert(id)
            condition.unlock()
            TrainingRun(queue: self, jobID: id).execute()
            condition.lock()
            running.remove(id)
            cancelled.remove(id)
            condition.unlock()
        }
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
