import Foundation
import Synchronization

/// Persistent worker threads that `Parallel` hands work to, one caller at a time.
///
/// `DispatchQueue.concurrentPerform` wakes its threads afresh for every call, which costs
/// tens of microseconds: as much as a whole GEMM of a W1 training step. These workers instead
/// spin for a short while after each job, so the next job of a training step (usually tens of
/// microseconds later) starts at once, and then park on a condition so that an idle service
/// burns no CPU.
///
/// Rank 0 of every job is the calling thread; ranks 1... are workers. A caller that finds the
/// pool in use (a nested call, or another training job) gets `false` from `run` and falls back.
///
/// `@unchecked Sendable`: `job` is written by the caller that holds `busy` before it
/// publishes `generation` (release) and read by the job's members after they see it
/// (acquire); the caller clears it only after `pending` drops to zero. `wakeUp` guards parking.
package final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.processorCount - 1)

    /// How long a worker keeps polling for the next job before it parks.
    private static let spinNanoseconds: UInt64 = 200_000

    /// `generation` packs the job's number with its member count, so that a worker learns
    /// both from one load. A plain `members` property would race: a worker that sits a job out
    /// reports to nobody, so it could read `members` while the next caller already rewrites it,
    /// take the next job's count for this one and then run the next job twice.
    private static let memberBits = 16
    private static let memberMask = (1 << memberBits) - 1

    let workers: Int
    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wakeUp = NSCondition()
    private var job: ((Int) -> Void)?
    /// The rendezvous for team jobs; it belongs to whoever holds `busy`.
    let barrier = SpinBarrier()

    /// Starts `workers` threads that live as long as the process: keep the pool forever.
    /// `package` so that tests can build a pool wider than the machine's.
    package init(workers: Int) {
        self.workers = min(max(0, workers), Self.memberMask - 1)
        for rank in 0..<self.workers {
            let thread = Thread { [unowned self] in self.serve(rank: rank + 1) }
            thread.name = "nn-worker-\(rank + 1)"
            thread.start()
        }
    }

    /// Runs `body(rank)` for rank in 0..<members, all at once, rank 0 on the calling thread.
    /// Returns false, having run nothing, when the pool is busy or too small.
    package func run(members: Int, _ body: (Int) -> Void) -> Bool {
        guard members >= 2, members - 1 <= workers,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            return false
        }
        withoutActuallyEscaping(body) { body in
            job = body
            barrier.reset(count: members)
            pending.store(members - 1, ordering: .relaxed)
            let number = (generation.load(ordering: .relaxed) >> Self.memberBits) + 1
            generation.store((number << Self.memberBits) | members, ordering: .sequentiallyConsistent)
            // Pairs with the parking worker's increment of `sleepers` before its last look at
            // `generation`: either it sees the new job, or this sees it asleep and wakes it.
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            body(0)
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 1_000 { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
        return true
    }

    private func serve(rank: Int) {
        var seen = 0
        while true {
            seen = waitForJob(after: seen)
            if rank < (seen & Self.memberMask) {
                runJob(rank: rank)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }

    /// Kept out of line so that the worker's reference to the caller's closure is gone
    /// before it reports the job done (the caller's `withoutActuallyEscaping` checks that).
    @inline(never)
    private func runJob(rank: Int) {
        job?(rank)
    }

    private func waitForJob(after seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            // Poll the clock and give the core away now and then: the machine may be shared.
            if spins % 256 == 0 {
                if DispatchTime.now().uptimeNanoseconds > deadline { break }
                if spins % 4096 == 0 { sched_yield() }
            }
        }
        wakeUp.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wakeUp.unlock()
        return generation.load(ordering: .acquiring)
    }
}
