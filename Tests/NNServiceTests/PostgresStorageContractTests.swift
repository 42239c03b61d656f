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
