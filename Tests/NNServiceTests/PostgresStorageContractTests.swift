import Foundation
import NNService
import PostgresStore
import XCTest

/// The store contract on PostgreSQL (skipped without NN_TEST_DATABASE_URL): stores with
/// connections of their own on one fresh schema, as API and worker processes share a database.
final class PostgresStorageContractTests: XCTestCase {
    private func factory() throws -> StorageContract.Factory {
        let url = try PostgresTestDatabase.url(for: self)
        return { count in
            let stores = try (0..<count).map { _ in try PostgresServiceStore(url: url) }
            return (stores, { for store in stores { try? store.close() } })
        }
    }

    func testRowsAndErrors() throws { try StorageContract.rowsAndErrors(try factory()) }
    func testClaimsAndLeases() throws { try StorageContract.claimsAndLeases(try factory()) }
    func testLeaseLapseAndResume() throws { try StorageContract.leaseLapseAndResume(try factory()) }
    func testClaimRace() throws { try StorageContract.claimRace(try factory(), claimers: 4, jobs: 200) }
    func testModelsGenerationCrossesStores() throws { try StorageContract.modelsGenerationCrossesStores(try factory()) }
}

/// The sweep contract on PostgreSQL (skipped without NN_TEST_DATABASE_URL): API replicas with
/// stores of their own on one fresh schema.
final class PostgresSweepContractTests: XCTestCase {
    private func factory() throws -> StorageContract.Factory {
        let url = try PostgresTestDatabase.url(for: self)
        return { count in
            let stores = try (0..<count).map { _ in try PostgresServiceStore(url: url) }
            return (stores, { for store in stores { try? store.close() } })
        }
    }

    func testPagesAndCancel() throws { try SweepContract.pagesAndCancel(try factory()) }
    func testLaunchRace() throws { try SweepContract.launchRace(try factory(), replicaCount: 4) }
    func testASHAStopsAtARung() throws { try SweepContract.ashaStopsAtARung(try factory()) }

    /// Workers on several stores record one rung's arrivals at the same moment: the sweep row's
    /// lock makes them take turns, so the arrivals are numbered 0, 1, … once each and every
    /// decision is ASHA's over exactly the arrivals before it.
    func testConcurrentRungArrivalsTakeTurns() throws {
        let url = try PostgresTestDatabase.url(for: self)
        let (replicas, cleanup) = try SweepContract.replicas(
            { count in
                let stores = try (0..<count).map { _ in try PostgresServiceStore(url: url) }
                return (stores, { for store in stores { try? store.close() } })
            }, 4)
        defer { cleanup() }
        let dataset = try SweepSupport.upload(replicas[0].client)
        let id = try SweepContract.submit(
            replicas[0].client, dataset: dataset,
            extra: ["parallel": 6, "early_termination": ["type": "asha", "min_epochs": 1, "reduction_factor": 2]])
        try SweepContract.wait("six trials queued") { try replicas[0].store.jobCounts()[.queued] == 6 }
        let claimed = try (0..<6).map { index in
            (try XCTUnwrap(try replicas[index % 4].store.claimNextJob(owner: "W\(index)", leaseSeconds: 60)), index)
        }
        let stores = replicas.map(\.store)
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for (job, index) in claimed {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                start.wait()
                _ = try? stores[index % 4].recordEpoch(
                    job: job, owner: "W\(index)", metrics: StorageContract.metrics(1, loss: Double(6 - index)),
                    checkpoint: nil, loss: .crossEntropy, pinnedEpoch: nil, weightsEpoch: nil)
            }
        }
        for _ in claimed { start.signal() }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        let rows = try PostgresConnection(url: url).query(
            "SELECT metric, continues, arrival FROM sweep_rungs WHERE sweep_id = $1 AND rung = 1 ORDER BY arrival",
            [id])
        XCTAssertEqual(try rows.map { try $0.get("arrival") as Int }, Array(0..<6))
        var earlier: [Double] = []
        for row in rows {
            let metric: Double = try row.get("metric")
            // ASHA with η = 2, smaller loss better: rank ≤ ⌈n / 2⌉.
            let rank = earlier.filter { $0 < metric }.count + 1
            XCTAssertEqual(
                try row.get("continues") as Bool, rank <= (earlier.count + 2) / 2, "\(earlier) then \(metric)")
            earlier.append(metric)
        }
        let stopped = try claimed.filter { try replicas[0].store.job($0.0.id)?.stoppedBy == "asha" }.count
        XCTAssertEqual(stopped, try rows.filter { !(try $0.get("continues") as Bool) }.count)
    }
}
