import Foundation
import XCTest

/// `NN_DATABASE_URL` at start-up, from the real binary: a malformed URL is refused before
/// anything connects, with the fault named and the password never echoed; the SQLite backup
/// commands refuse a PostgreSQL store. None of these needs a PostgreSQL server.
final class DatabaseURLOptionTests: XCTestCase {
    private func run(_ arguments: [String], databaseURL: String) throws -> (status: Int32, error: String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NN_DATABASE_URL"] = databaseURL
        environment["NN_PORT"] = "0"
        process.environment = environment
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    func testMalformedURLsStopTheServerWithTheirFault() throws {
        let cases = [
            ("mysql://nn:hunter2@db/nnserve", "must be a postgres:// or postgresql:// URL"),
            ("postgres://nn:hunter2@db:99999/nnserve", "port '99999' is not a number from 1 to 65535"),
            ("postgres://nn:hun%zzter2@db/nnserve", "password has a '%' at offset 3"),
            ("postgres://nn:hunter2@db:5432", "names no database"),
            ("postgres://nn:hunter2@db/nnserve?sslmod=require", "'sslmod' is not one"),
        ]
        for (url, expected) in cases {
            let result = try run([], databaseURL: url)
            XCTAssertEqual(result.status, 2, "\(url): \(result.error)")
            XCTAssertTrue(result.error.contains("NN_DATABASE_URL"), result.error)
            XCTAssertTrue(result.error.contains(expected), "\(url): \(result.error)")
            XCTAssertFalse(result.error.contains("hunter2"), "the password leaked: \(result.error)")
        }
    }

    /// An unreachable server is a start-up failure (exit 1) naming the server without its password.
    func testUnreachableServerFailsTheStartWithoutThePassword() throws {
        let result = try run([], databaseURL: "postgres://nn:hunter2@127.0.0.1:1/nnserve?connect_timeout=2")
        XCTAssertEqual(result.status, 1, result.error)
        XCTAssertTrue(result.error.contains("postgres://nn:***@127.0.0.1:1/nnserve"), result.error)
        XCTAssertFalse(result.error.contains("hunter2"), result.error)
    }

    func testBackupAndRestoreRefuseAPostgresStore() throws {
        for verb in ["backup", "restore"] {
            let result = try run(
                [verb, "/tmp/nnserve-never-written.sqlite"], databaseURL: "postgres://nn:pw@db/nnserve")
            XCTAssertEqual(result.status, 2, result.error)
            XCTAssertTrue(result.error.contains("pg_dump"), result.error)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/nnserve-never-written.sqlite"))
        }
    }
}
