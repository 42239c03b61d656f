import Foundation
import NNCore

/// Job events (finished epochs, status changes) for listeners such as server-sent-event
/// streams. Training may run in another process, so events come from the store itself: while
/// anyone listens, one thread polls each watched job every `pollInterval` (its row by primary
/// key and its metrics after the last epoch delivered, both indexed) and hands what changed to
/// the job's listeners. Listeners are callbacks, so no thread waits per listener.
///
/// `@unchecked Sendable`: `subscriptions`, `nextToken` and `polling` are guarded by `lock`;
/// `deliveryLock` orders deliveries.
public final class JobEvents: @unchecked Sendable {
    public enum Event: Sendable {
        case epoch(EpochMetrics)
        case status(JobRecord.Description)
    }

    /// One listener and what it has been told so far.
    private struct Subscription {
        var job: String
        var listener: @Sendable (Event) -> Void
        var lastEpoch: Int
        var lastStatus: JobStatus
        var lastAttempts: Int
    }

    let store: any ServiceStorage
    let pollInterval: Double
    private let lock = NSLock()
    /// Held while events are handed to listeners, so that the poll and local publishes never
    /// interleave; never taken under `lock`.
    private let deliveryLock = NSLock()
    private var subscriptions: [Int: Subscription] = [:]
    private var nextToken = 0
    private var polling = false

    public init(store: any ServiceStorage, pollInterval: Double = 0.2) {
        self.store = store
        self.pollInterval = pollInterval
    }

    /// Registers a listener for one job, told of what happens after `current` (the state the
    /// caller has already shown); returns a token for `unsubscribe`.
    public func subscribe(job current: JobRecord, _ listener: @escaping @Sendable (Event) -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        subscriptions[nextToken] = Subscription(
            job: current.id, listener: listener, lastEpoch: current.epoch, lastStatus: current.status,
            lastAttempts: current.attempts)
        if !polling {
            polling = true
            let thread = Thread { [self] in poll() }
            thread.name = "nnserve-events"
            thread.start()
        }
        return nextToken
    }

    public func unsubscribe(job: String, token: Int) {
        lock.lock()
        defer { lock.unlock() }
        subscriptions[token] = nil
    }

    public var listenerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return subscriptions.count
    }

    /// An event seen in this process (a local worker's epoch or status change), told at once
    /// instead of at the next poll; the poll then finds nothing new to tell.
    func publish(job: String, _ event: Event) {
        deliveryLock.lock()
        defer { deliveryLock.unlock() }
        lock.lock()
        let tokens = subscriptions.filter { $0.value.job == job }.map(\.key)
        lock.unlock()
        for token in tokens { offer(event, to: token) }
    }

    /// Runs while anyone listens; the thread ends when the last listener leaves.
    private func poll() {
        while true {
            Thread.sleep(forTimeInterval: pollInterval)
            lock.lock()
            let watched = subscriptions
            if watched.isEmpty { polling = false }
            lock.unlock()
            if watched.isEmpty { return }
            for (job, tokens) in Dictionary(grouping: watched.keys, by: { watched[$0]!.job }) {
                let since = tokens.map { watched[$0]!.lastEpoch }.min() ?? 0
                // The job first, then its newer metrics: a job seen ended has all its epochs read.
                guard let record = try? store.job(job), let epochs = try? store.metrics(job: job, after: since) else {
                    continue
                }
                deliveryLock.lock()
                for token in tokens {
                    for metrics in epochs { offer(.epoch(metrics), to: token) }
                    offer(.status(record.description), to: token, epoch: record.epoch)
                }
                deliveryLock.unlock()
            }
        }
    }

    /// Tells one listener an event unless it has been told it already: an epoch after the last
    /// one it saw, or a status (or attempt) other than the last. `epoch` is the job's epoch
    /// with a status: a resumed job records again the epochs after its checkpoint, which are
    /// new. Called with `deliveryLock` held, so listeners get events one at a time, in order.
    private func offer(_ event: Event, to token: Int, epoch: Int? = nil) {
        lock.lock()
        guard var seen = subscriptions[token] else {
            lock.unlock()
            return
        }
        let isNew: Bool
        switch event {
        case .epoch(let metrics):
            isNew = metrics.epoch > seen.lastEpoch
            if isNew { seen.lastEpoch = metrics.epoch }
        case .status(let description):
            isNew = description.status != seen.lastStatus || description.attempts != seen.lastAttempts
            seen.lastStatus = description.status
            seen.lastAttempts = description.attempts
            if let epoch, epoch < seen.lastEpoch { seen.lastEpoch = epoch }
        }
        subscriptions[token] = seen
        lock.unlock()
        if isNew { seen.listener(event) }
    }
}
