import Foundation
import Synchronization

/// A reusable rendezvous for the members of one `Parallel.team` job: nobody leaves `wait()`
/// until all `count` members have entered it, and everything a member wrote before entering
/// is visible to every member after leaving.
///
/// Members spin rather than sleep: they wait for one another's share of a packing step, a
/// few microseconds, far less than a sleep and wake-up would cost. Sense reversal (`phase`)
/// makes it reusable without a second rendezvous.
///
/// `@unchecked Sendable`: `count` is set by `reset` while no member is waiting (before the
/// pool publishes the job that uses it) and only read afterwards.
final class SpinBarrier: @unchecked Sendable {
    private let arrived = Atomic<Int>(0)
    private let phase = Atomic<Int>(0)
    private var count = 1

    func reset(count: Int) {
        self.count = count
        arrived.store(0, ordering: .relaxed)
    }

    func wait() {
        guard count > 1 else { return }
        let entered = phase.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            phase.add(1, ordering: .releasing)
            return
        }
        var spins = 0
        while phase.load(ordering: .acquiring) == entered {
            spins += 1
            // A member the OS has descheduled (the machine may be shared) needs the core.
            if spins > 4_000 { sched_yield() }
        }
    }
}
