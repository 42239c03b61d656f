import Foundation
import SQLiteStore
import XCTest

final class StatementTests: XCTestCase {
    private var database: Database!

    override func setUpWithError() throws {
        database = try Database.inMemory()
        try database.write { try $0.execute("CREATE TABLE v(id INTEGER PRIMARY KEY, x)") }
    }

    /// Stores `value` with positional binding, reads it back as it is stored.
    private func roundTrip(_ value: (any SQLBindable)?) throws -> DatabaseValue {
        try database.write { db in
            try db.execute("DELETE FROM v")
            try db.execute("INSERT INTO v(id, x) VALUES (1, ?)", [value])
            return try XCTUnwrap(db.queryOne("SELECT x FROM v WHERE id = 1")?[0])
        }
    }

    func testEveryTypeRoundTripsByIndex() throws {
        XCTAssertEqual(try roundTrip(Int64.max), .integer(Int64.max))
        XCTAssertEqual(try roundTrip(Int64.min), .integer(Int64.min))
        XCTAssertEqual(try roundTrip(-42), .integer(-42))
        XCTAssertEqual(try roundTrip(true), .integer(1))
        XCTAssertEqual(try roundTrip(false), .integer(0))
        XCTAssertEqual(try roundTrip(0.1), .real(0.1))
        XCTAssertEqual(try roundTrip(-Double.greatestFiniteMagnitude), .real(-Double.greatestFiniteMagnitude))
        XCTAssertEqual(try roundTrip(Double.infinity), .real(.infinity))
        XCTAssertEqual(try roundTrip("héllo, 世界 🚀"), .text("héllo, 世界 🚀"))
        XCTAssertEqual(try roundTrip(""), .text(""))
        XCTAssertEqual(try roundTrip("a\u{0}b"), .text("a\u{0}b"))  // an embedded NUL is kept
        XCTAssertEqual(try roundTrip(Data([0, 1, 2, 255])), .blob(Data([0, 1, 2, 255])))
        XCTAssertEqual(try roundTrip(nil), .null)
        XCTAssertEqual(try roundTrip(DatabaseValue.real(2.5)), .real(2.5))
        let missing: String? = nil
        XCTAssertEqual(try roundTrip(missing), .null)
    }

    func testEmptyBlobStaysABlobNotNull() throws {
        XCTAssertEqual(try roundTrip(Data()), .blob(Data()))
        XCTAssertEqual(try roundTrip([Float]()), .blob(Data()))
        let type = try database.read { try $0.queryOne("SELECT typeof(x) FROM v")?.get(at: 0) as String? }
        XCTAssertEqual(type, "blob")
        XCTAssertEqual(try database.read { try $0.queryOne("SELECT x FROM v")?.floats("x") }, [])
        // A buffer with no base address at all (SQLite would read a NULL pointer as NULL).
        let stored = try database.write { db -> DatabaseValue? in
            let insert = try db.makeStatement("INSERT INTO v(id, x) VALUES (2, ?)")
            try insert.bindBlob(UnsafeRawBufferPointer(start: nil, count: 0), at: 1)
            try insert.run()
            return try db.queryOne("SELECT x FROM v WHERE id = 2")?[0]
        }
        XCTAssertEqual(stored, .blob(Data()))
    }

    func testNamedBindingWithAndWithoutPrefix() throws {
        try database.write { db in
            try db.execute("CREATE TABLE n(a INTEGER, b TEXT, c REAL, d BLOB, e INTEGER)")
            try db.execute(
                "INSERT INTO n VALUES (:a, @b, $c, :d, :e)",
                named: ["a": 7, "@b": "bee", "c": 1.5, ":d": Data([9]), "e": nil])
            let row = try XCTUnwrap(db.queryOne("SELECT * FROM n WHERE a = :a", named: ["a": 7]))
            XCTAssertEqual(try row.get("a") as Int, 7)
            XCTAssertEqual(try row.get("b") as String, "bee")
            XCTAssertEqual(try row.get("c") as Double, 1.5)
            XCTAssertEqual(try row.get("d") as Data, Data([9]))
            XCTAssertNil(try row.get("e") as Int?)
        }
    }

    func testUnknownParameterNameAndWrongArgumentCountThrow() throws {
        try database.write { db in
            let unknown = expectDatabaseError { try db.execute("INSERT INTO v(x) VALUES (:x)", named: ["y": 1]) }
            XCTAssertEqual(unknown?.primaryCode, 25)  // SQLITE_RANGE
            XCTAssertTrue(unknown?.message.contains("y") ?? false)
            let count = expectDatabaseError { try db.execute("INSERT INTO v(x) VALUES (?)", [1, 2]) }
            XCTAssertEqual(count?.primaryCode, 25)
            XCTAssertEqual(count?.sql, "INSERT INTO v(x) VALUES (?)")
        }
    }

    func testPreparedStatementIsReusedWithNewBindings() throws {
        try database.write { db in
            let insert = try db.makeStatement("INSERT INTO v(id, x) VALUES (?, ?)")
            for i in 1...5 {
                insert.reset()
                try insert.bind([i, "row \(i)"])
                XCTAssertFalse(try insert.step())
                XCTAssertEqual(db.lastInsertRowID, Int64(i))
                XCTAssertEqual(db.changes, 1)
            }
            let select = try db.makeStatement("SELECT id, x FROM v ORDER BY id")
            XCTAssertEqual(select.columnNames, ["id", "x"])
            var ids: [Int64] = []
            while try select.step() {
                ids.append(try select.get(at: 0))
                XCTAssertEqual(try select.get(at: 1) as String, "row \(ids.last ?? 0)")
            }
            XCTAssertEqual(ids, [1, 2, 3, 4, 5])
            try db.execute("UPDATE v SET x = NULL WHERE id > ?", [2])
            XCTAssertEqual(db.changes, 3)
        }
    }

    func testColumnIndexOutOfRangeThrows() throws {
        try database.read { db in
            let statement = try db.makeStatement("SELECT 1 AS one")
            XCTAssertTrue(try statement.step())
            XCTAssertEqual(try statement.columnIndex(named: "ONE"), 0)
            XCTAssertEqual(expectDatabaseError { _ = try statement.value(at: 1) }?.primaryCode, 25)
            XCTAssertEqual(expectDatabaseError { _ = try statement.value(at: -1) }?.primaryCode, 25)
            XCTAssertEqual(expectDatabaseError { _ = try statement.columnIndex(named: "two") }?.primaryCode, 25)
        }
    }
}
