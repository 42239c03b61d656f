import Foundation

/// Holds a running job's lease: renews it every `interval` on a thread of its own while the job
/// trains, and remembers when a renewal failed, because the job was cancelled (in any process)
/// or the lease lapsed and was taken back. The trainer checks `mustStop` at every batch, which
/// costs a lock, not a query.
///
/// `@unchecked Sendable`: `lost` and `ended` are guarded by `condition`; the rest is immutable.
final class LeaseKeeper: @unchecked Sendable {
    let store: any ServiceStorage
    let job: String
    let owner: String
    let leaseSeconds: Double
    let interval: Double

    private let condition = NSCondition()
    private var lost = false
    private var ended = false

    init(store: any ServiceStorage, job: String, owner: String, leaseSeconds: Double, interval: Double) {
        self.store = store
        self.job = job
        self.owner = owner
        self.leaseSeconds = leaseSeconds
        self.interval = interval
    }

    func start() {
        let thread = Thread { [self] in renewUntilEnded() }
        thread.name = "nnserve-lease"
        thread.start()
    }

    /// True once the job is no longer this worker's to train.
    var mustStop: Bool {
        condition.lock()
        defer { condition.unlock() }
        return lost
    }

    /// The run is over: stop renewing.
    func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    private func renewUntilEnded() {
        while true {
            condition.lock()
            if !ended { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
            let finished = ended
            condition.unlock()
            if finished { return }
            // A store that does not answer is not a lost lease: the lease outlives a few
            // failed renewals, and the epoch write checks it anyway.
            guard let held = try? store.renewLease(job: job, owner: owner, leaseSeconds: leaseSeconds), !held else {
                continue
            }
            condition.lock()
            lost = true
            condition.unlock()
            return
        }
    }
}
