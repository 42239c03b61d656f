import Foundation
import NNCore

/// One worker loop: take back jobs whose lease lapsed, claim the oldest queued job, train it
/// under a lease (`LeaseKeeper`), and again, until stopped. The same loop runs in an
/// `nnserve worker` process and on a thread of an in-process `JobQueue`.
///
/// `@unchecked Sendable`: `stopping`, `stopped` and `woken` are guarded by `condition`; the
/// rest is immutable.
public final class TrainingWorker: @unchecked Sendable {
    public struct Options: Sendable {
        /// How long a claim holds without renewal; a worker that dies silently loses its job
        /// to another worker after at most this long.
        public var leaseSeconds = 15.0
        /// How often a running job renews its lease, which is also how soon it sees a cancel.
        public var leaseCheckInterval = 0.25
        /// How often an idle worker looks for queued jobs (another process may have queued one).
        public var pollInterval = 0.25

        public init() {}
    }

    /// "host/pid": owners of leases name their process, so that a supervisor can take back the
    /// jobs of a worker process it saw die.
    public static let processOwner = "\(ProcessInfo.processInfo.hostName)/\(getpid())"

    let store: any ServiceStorage
    let owner: String
    let threadsPerJob: Int
    let options: Options
    let counters: TrainingCounters
    let log: @Sendable (String) -> Void
    /// This process's event hub, told at once of what this worker does (listeners in other
    /// processes learn it from the store).
    let events: JobEvents?

    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false
    private var woken = false

    public init(
        store: any ServiceStorage, owner: String, threadsPerJob: Int, options: Options = Options(),
        counters: TrainingCounters = TrainingCounters(), events: JobEvents? = nil,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.events = events
        self.store = store
        self.owner = owner
        self.threadsPerJob = max(1, threadsPerJob)
        self.options = options
        self.counters = counters
        self.log = log
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Runs until `stop()`; call on a thread of its own.
    public func run() {
        var lastError: String?
        while !isStopping {
            do {
                try JobQueue.recover(store, .leaseLapsed, log: log)
                if let job = try store.claimNextJob(owner: owner, leaseSeconds: options.leaseSeconds) {
                    lastError = nil
                    TrainingRun(worker: self, job: job).execute()
                    continue
                }
                lastError = nil
            } catch {
                // The store is unreachable or busy for longer than its timeout: wait and retry,
                // logging each new error once rather than at every poll.
                let text = "\(error)"
                if text != lastError { log("worker \(owner): \(text); retrying until the store answers") }
                lastError = text
            }
            condition.lock()
            if !woken && !stopping { _ = condition.wait(until: Date().addingTimeInterval(options.pollInterval)) }
            woken = false
            condition.unlock()
        }
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// A job was queued in this process: look now.
    public func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops taking jobs; a running job stops at its next batch and goes back to the queue.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `run()` has returned, or until `deadline`.
    public func waitUntilStopped(deadline: Date) {
        condition.lock()
        while !stopped && condition.wait(until: deadline) {}
        condition.unlock()
    }
}
