import Foundation
import SQLiteStore
import XCTest

extension XCTestCase {
    /// A fresh directory under the system temporary directory, removed after the test.
    func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SQLiteStoreTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The path of a database file in a fresh temporary directory (the file does not exist).
    func makeDatabasePath(_ name: String = "test.sqlite") throws -> String {
        try makeTemporaryDirectory().appendingPathComponent(name).path
    }

    /// Runs `body`, which must throw a DatabaseError, and answers that error.
    func expectDatabaseError(
        _ message: String = "", file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) -> DatabaseError? {
        do {
            try body()
            XCTFail("expected a DatabaseError \(message)", file: file, line: line)
        } catch let error as DatabaseError {
            return error
        } catch {
            XCTFail("expected a DatabaseError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
