import Foundation
import SQLiteStore
import XCTest

final class RowTests: XCTestCase {
    private func row(_ sql: String) throws -> Row {
        let database = try Database.inMemory()
        return try XCTUnwrap(database.read { try $0.queryOne(sql) })
    }

    func testTypedAccessByName() throws {
        let row = try row("SELECT 42 AS id, 'digits' AS name, 0.25 AS rate, 1 AS done, x'CAFE' AS raw, NULL AS missing")
        XCTAssertEqual(try row.get("id") as Int64, 42)
        XCTAssertEqual(try row.get("id") as Int, 42)
        XCTAssertEqual(try row.get("name") as String, "digits")
        XCTAssertEqual(try row.get("rate") as Double, 0.25)
        XCTAssertEqual(try row.get("done") as Bool, true)
        XCTAssertEqual(try row.get("raw") as Data, Data([0xCA, 0xFE]))
        XCTAssertNil(try row.get("missing") as String?)
        XCTAssertEqual(try row.get("name") as String?, "digits")
        XCTAssertEqual(try row.get("missing") as DatabaseValue, .null)
        XCTAssertEqual(try row.get("id", as: Double.self), 42)  // an integer reads as Double
        XCTAssertEqual(try row.get(at: 1) as String, "digits")
    }

    func testColumnNamesMatchIgnoringCase() throws {
        let row = try row("SELECT 1 AS Epoch")
        XCTAssertEqual(try row.get("epoch") as Int, 1)
        XCTAssertTrue(row.hasColumn("EPOCH"))
        XCTAssertFalse(row.hasColumn("loss"))
    }

    func testUnknownColumnNullAndWrongTypeThrow() throws {
        let row = try row("SELECT 1 AS a, NULL AS b, 'x' AS c")
        let unknown = expectDatabaseError { _ = try row.get("z") as Int }
        XCTAssertEqual(unknown?.primaryCode, 25)  // SQLITE_RANGE
        XCTAssertTrue(unknown?.message.contains("a, b, c") ?? false)
        let null = expectDatabaseError { _ = try row.get("b") as Int }
        XCTAssertEqual(null?.primaryCode, 20)  // SQLITE_MISMATCH
        XCTAssertTrue(null?.message.contains("NULL") ?? false)
        XCTAssertEqual(expectDatabaseError { _ = try row.get("c") as Int }?.primaryCode, 20)
        XCTAssertEqual(expectDatabaseError { _ = try row.get("a") as String }?.primaryCode, 20)
        XCTAssertEqual(expectDatabaseError { _ = try row.get("c") as Data }?.primaryCode, 20)
        XCTAssertEqual(expectDatabaseError { _ = try row.get(at: 3) as Int }?.primaryCode, 25)
    }

    func testDescriptionListsColumns() throws {
        let row = try row("SELECT 1 AS a, 'x' AS b, NULL AS c, x'0000' AS d")
        XCTAssertEqual(row.description, "[a: 1, b: \"x\", c: NULL, d: <2 bytes>]")
    }
}
