import Dispatch
import Foundation
import Synchronization

/// The one helper through which the core runs work on several threads.
///
/// Work is split into a fixed list of chunks chosen by the caller (never by the thread
/// count), and each output element is written by exactly one chunk, so results are
/// bit-identical whether they run on one thread or many.
///
/// Jobs go to the persistent threads of `WorkerPool`; when the pool is taken (a nested call,
/// or a second training job) `forEach` falls back to `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Runs `body(chunk)` for every chunk in 0..<chunks, on up to `threads` threads.
    public static func forEach(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        let workers = min(max(threads, 1), chunks)
        if workers == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        // Members claim chunks in turn from a shared counter, so a member that starts late
        // (a parked worker waking up) takes fewer; which member runs a chunk never changes
        // what the chunk computes.
        let claims = ChunkCounter()
        withoutActuallyEscaping(body) { body in
            // Chunks write disjoint outputs (the contract of every caller), so running `body`
            // on several threads at once is safe although the closure is not `Sendable`.
            nonisolated(unsafe) let body = body
            let work: @Sendable (Int) -> Void = { _ in
                while true {
                    let chunk = claims.next()
                    guard chunk < chunks else { break }
                    body(chunk)
                }
            }
            let members = min(workers, WorkerPool.shared.workers + 1)
            if !WorkerPool.shared.run(members: members, work) {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
        }
    }

    /// One member of a `team` job: which one (`rank`), how many there are (`size`), and the
    /// rendezvous they share.
    public struct Team {
        public let rank: Int
        public let size: Int
        fileprivate let barrier: SpinBarrier?

        /// Waits until every member has reached the same call.
        public func sync() { barrier?.wait() }
    }

    /// Runs `body` on up to `threads` threads that all run at the same time, so that members
    /// may wait for one another (`Team.sync`). With the pool taken the team is the calling
    /// thread alone, so `body` must give the same result for every team size.
    public static func team(threads: Int, _ body: (Team) -> Void) {
        let members = min(max(threads, 1), WorkerPool.shared.workers + 1)
        if members > 1 {
            let pool = WorkerPool.shared
            let pooled = pool.run(members: members) { rank in
                body(Team(rank: rank, size: members, barrier: pool.barrier))
            }
            if pooled { return }
        }
        body(Team(rank: 0, size: 1, barrier: nil))
    }

    /// The shared "next chunk" of one `forEach`.
    private final class ChunkCounter: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
    }

    /// The number of processors online, used when a caller asks for "all cores".
    public static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
