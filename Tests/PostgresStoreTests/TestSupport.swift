import Foundation
import PostgresStore
import XCTest

extension XCTestCase {
    /// The server the tests that need PostgreSQL run against: `NN_TEST_DATABASE_URL`
    /// (scripts/postgres-tests.sh starts a throwaway cluster and sets it). Without it those
    /// tests are skipped, so the ordinary suite needs no server.
    func testServerURL() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["NN_TEST_DATABASE_URL"], !text.isEmpty else {
            throw XCTSkip(
                "NN_TEST_DATABASE_URL is not set; scripts/postgres-tests.sh runs this test against a real server")
        }
        return try PostgresURL(parsing: text)
    }

    /// A URL whose connections work in a fresh schema of their own (through
    /// `options=-c search_path=…`), dropped with everything in it after the test, so that
    /// tests neither see nor disturb each other's tables.
    func makeIsolatedURL() throws -> PostgresURL {
        let base = try testServerURL()
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try PostgresConnection(url: base)
        try admin.execute("CREATE SCHEMA \(schema)")
        addTeardownBlock {
            let cleanup = try? PostgresConnection(url: base)
            _ = try? cleanup?.execute("DROP SCHEMA \(schema) CASCADE")
        }
        var url = base
        url.parameters.append(.init(name: "options", value: "-c search_path=\(schema)"))
        return url
    }

    func makeIsolatedDatabase(maximumConnections: Int = 4) throws -> PostgresDatabase {
        let database = try PostgresDatabase(url: try makeIsolatedURL(), maximumConnections: maximumConnections)
        addTeardownBlock { database.close() }
        return database
    }

    /// Runs `body`, which must throw a PostgresError, and answers that error.
    func expectPostgresError(
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) -> PostgresError? {
        do {
            try body()
            XCTFail("expected a PostgresError", file: file, line: line)
        } catch let error as PostgresError {
            return error
        } catch {
            XCTFail("expected a PostgresError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
