import NNCore
import XCTest

/// `Parallel.forEach` on the worker pool and on its fallback, and `Parallel.team`'s rendezvous.
final class ParallelTests: XCTestCase {
    /// Every chunk runs exactly once, for any chunk and thread count.
    func testForEachRunsEveryChunkOnce() {
        for threads in [1, 2, 3, 8] {
            for chunks in [1, 2, 3, 7, 17] {
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
                defer { counts.deallocate() }
                counts.initialize(repeating: 0)
                Parallel.forEach(chunks: chunks, threads: threads) { counts[$0] += 1 }
                XCTAssertEqual(Array(counts), [Int](repeating: 1, count: chunks), "threads=\(threads) chunks=\(chunks)")
            }
        }
    }

    /// A call made inside a chunk finds the pool taken and falls back, instead of waiting for it.
    func testNestedForEachCompletes() {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        Parallel.forEach(chunks: 4, threads: 2) { outer in
            Parallel.forEach(chunks: 4, threads: 2) { inner in counts[outer * 4 + inner] += 1 }
        }
        XCTAssertEqual(Array(counts), [Int](repeating: 1, count: 16))
    }

    /// After `sync()` every member sees what every other member wrote before it, round after
    /// round (the barrier is reused), and a team started inside a team job is one thread.
    func testTeamMembersSeeEachOthersWrites() {
        let rounds = 2_000
        let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * 8)
        defer { slots.deallocate() }
        slots.initialize(repeating: -1)
        var innerSizes = 0
        let failureCount = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { failureCount.deallocate() }
        failureCount.initialize(repeating: 0, count: 8)
        var size = 0
        Parallel.team(threads: 2) { team in
            if team.rank == 0 { size = team.size }
            for round in 0..<rounds {
                // Two copies, as in the GEMM: a member may write the next round's copy while
                // another still reads this one.
                let copy = (round % 2) * 8
                slots[copy + team.rank] = round
                team.sync()
                for member in 0..<team.size where slots[copy + member] != round {
                    failureCount[team.rank] += 1
                }
            }
            if team.rank == 0 { Parallel.team(threads: 2) { innerSizes += $0.size } }
        }
        let failures = (0..<8).reduce(0) { $0 + failureCount[$1] }
        XCTAssertEqual(failures, 0)
        XCTAssertEqual(innerSizes, 1)
        XCTAssertEqual(size, min(2, Parallel.processorCount))
    }

    /// Workers are threads that never end, so the pool with more workers than the machine's
    /// lives as long as the test process.
    private static let widePool = WorkerPool(workers: 3)

    /// Jobs of alternating sizes: each runs every rank below its size exactly once, also on
    /// a pool wider than the job, whose spare workers sit it out (under ThreadSanitizer this
    /// also checks that a spare worker reads nothing the next job writes).
    func testJobsOfAlternatingSizesRunEachRankOnce() {
        let pool = Self.widePool
        let jobs = 2_000
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: jobs * 4)
        defer { runs.deallocate() }
        runs.initialize(repeating: 0)
        for job in 0..<jobs {
            let members = job % 2 == 0 ? 2 : 4
            XCTAssertTrue(pool.run(members: members) { rank in runs[job * 4 + rank] += 1 })
        }
        for job in 0..<jobs {
            let members = job % 2 == 0 ? 2 : 4
            let expected = (0..<4).map { $0 < members ? 1 : 0 }
            XCTAssertEqual(Array(runs[job * 4..<job * 4 + 4]), expected, "job \(job)")
        }
    }
}
