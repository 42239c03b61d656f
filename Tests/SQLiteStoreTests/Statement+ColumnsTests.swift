import Foundation
import SQLiteStore
import XCTest

final class StatementColumnsTests: XCTestCase {
    /// 1 Mi float32s (4 MiB) of arbitrary bit patterns, so NaN payloads, -0, subnormals and
    /// infinities are all present and a conversion through Double would show.
    private func arbitraryFloats(count: Int = 1 << 20) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
        }
        values[0] = -0.0
        values[1] = Float(bitPattern: 0x7FC0_1234)  // a NaN with a payload
        values[2] = .leastNonzeroMagnitude
        values[3] = -.infinity
        return values
    }

    private func assertBitExact(
        _ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        XCTAssertTrue(
            actual.map(\.bitPattern) == expected.map(\.bitPattern), "float bits differ", file: file, line: line)
    }

    func testFourMegabytesOfFloatsRoundTripBitExact() throws {
        let floats = arbitraryFloats()
        let database = try Database(path: try makeDatabasePath())
        try database.write { db in
            try db.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            try db.execute("INSERT INTO blobs(id, data) VALUES (1, ?)", [floats])
            // The same bytes through the buffer-pointer binding.
            let insert = try db.makeStatement("INSERT INTO blobs(id, data) VALUES (2, ?)")
            try floats.withUnsafeBufferPointer { try insert.bindFloats($0, at: 1) }
            try insert.run()
        }
        try database.close()

        let reopened = try Database(path: database.path)
        try reopened.read { db in
            XCTAssertEqual(try db.queryOne("SELECT length(data) FROM blobs WHERE id = 1")?[0], .integer(4 << 20))
            // Through a Row (copied to Data, then to [Float]).
            assertBitExact(try XCTUnwrap(db.queryOne("SELECT data FROM blobs WHERE id = 1")).floats("data"), floats)
            // Straight from the statement's buffer.
            let select = try db.makeStatement("SELECT data FROM blobs WHERE id = ?")
            try select.bind([2])
            XCTAssertTrue(try select.step())
            assertBitExact(try select.floats(at: 0), floats)
            // Borrowed without a copy.
            let firstBits = try select.withBlob(at: 0) { bytes in
                XCTAssertEqual(bytes.count, floats.count * 4)
                return bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            }
            XCTAssertEqual(firstBits, 0x7FC0_1234)
        }
    }

    func testLargeDataBlobRoundTrips() throws {
        let bytes = Data((0..<3_000_001).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let database = try Database.inMemory()
        let stored = try database.write { db -> Data in
            try db.execute("CREATE TABLE b(x BLOB)")
            try db.execute("INSERT INTO b VALUES (?)", [bytes])
            return try XCTUnwrap(db.queryOne("SELECT x FROM b")).get("x")
        }
        XCTAssertEqual(stored, bytes)
    }

    func testBlobThatIsNotWholeFloatsIsAMismatch() throws {
        let database = try Database.inMemory()
        try database.read { db in
            let row = try XCTUnwrap(db.queryOne("SELECT x'01020304050607' AS b, 'text' AS t, NULL AS n"))
            XCTAssertEqual(expectDatabaseError { _ = try row.floats("b") }?.primaryCode, 20)  // SQLITE_MISMATCH
            XCTAssertEqual(expectDatabaseError { _ = try row.floats("t") }?.primaryCode, 20)
            XCTAssertNil(try row.optionalFloats("n"))
            let statement = try db.makeStatement("SELECT 'text'")
            XCTAssertTrue(try statement.step())
            XCTAssertEqual(expectDatabaseError { _ = try statement.floats(at: 0) }?.primaryCode, 20)
        }
    }

    func testColumnValuesKeepTheirStorageClass() throws {
        let database = try Database.inMemory()
        let row = try database.read { db in
            try XCTUnwrap(db.queryOne("SELECT 1 AS i, 1.5 AS r, 'x' AS t, x'00' AS b, NULL AS n, x'' AS e"))
        }
        XCTAssertEqual(row.values, [.integer(1), .real(1.5), .text("x"), .blob(Data([0])), .null, .blob(Data())])
        XCTAssertEqual(row.columnNames, ["i", "r", "t", "b", "n", "e"])
    }
}
