import Dispatch
import Foundation

/// Monotonic timing for the benchmark.
enum Stopwatch {
    /// `NN_BENCH_CPU_TIME=1` times by the calling thread's CPU time instead of the wall clock:
    /// on a machine shared with other work this gives the one-thread figures that a quiet machine
    /// would (set beside an anchor timed the same way). It is meaningless for several threads.
    static let cpuTime = ProcessInfo.processInfo.environment["NN_BENCH_CPU_TIME"] == "1"

    static func now() -> UInt64 {
        if cpuTime {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        }
        return DispatchTime.now().uptimeNanoseconds
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return Double(now() - start) / 1e9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
