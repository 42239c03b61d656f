import Foundation
import SQLiteStore
import XCTest

final class DatabaseErrorTests: XCTestCase {
    private var database: Database!

    override func setUpWithError() throws {
        database = try Database.inMemory()
        try database.write { db in
            try db.executeScript(
                """
                CREATE TABLE datasets(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, rows INTEGER CHECK (rows > 0));
                CREATE TABLE jobs(id TEXT PRIMARY KEY, dataset TEXT NOT NULL REFERENCES datasets(id));
                INSERT INTO datasets VALUES ('ds_1', 'digits', 10);
                """)
        }
    }

    private func failingWrite(_ sql: String, _ arguments: StatementArguments) -> DatabaseError? {
        expectDatabaseError { try database.write { try $0.execute(sql, arguments) } }
    }

    func testUniqueViolationCarriesCodesMessageAndSQL() {
        let sql = "INSERT INTO datasets(id, name, rows) VALUES (?, ?, ?)"
        let error = failingWrite(sql, ["ds_2", "digits", 5])
        XCTAssertEqual(error?.primaryCode, 19)  // SQLITE_CONSTRAINT
        XCTAssertEqual(error?.extendedCode, 2067)  // SQLITE_CONSTRAINT_UNIQUE
        XCTAssertEqual(error?.isConstraintViolation, true)
        XCTAssertEqual(error?.isUniqueViolation, true)
        XCTAssertEqual(error?.isForeignKeyViolation, false)
        XCTAssertEqual(error?.isBusy, false)
        XCTAssertEqual(error?.sql, sql)
        XCTAssertEqual(error?.message, "UNIQUE constraint failed: datasets.name")
        XCTAssertEqual(
            error?.description,
            "SQLite error 19/2067 (constraint failed): UNIQUE constraint failed: datasets.name [SQL: \(sql)]")
    }

    func testPrimaryKeyNotNullCheckAndForeignKeyViolationsAreDistinguishable() {
        let primary = failingWrite("INSERT INTO datasets VALUES (?, ?, ?)", ["ds_1", "other", 1])
        XCTAssertEqual(primary?.extendedCode, 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
        XCTAssertEqual(primary?.isUniqueViolation, true)

        let notNull = failingWrite("INSERT INTO datasets VALUES (?, ?, ?)", ["ds_3", nil, 1])
        XCTAssertEqual(notNull?.isNotNullViolation, true)
        XCTAssertEqual(notNull?.isConstraintViolation, true)

        let check = failingWrite("INSERT INTO datasets VALUES (?, ?, ?)", ["ds_4", "x", 0])
        XCTAssertEqual(check?.extendedCode, 275)  // SQLITE_CONSTRAINT_CHECK
        XCTAssertEqual(check?.isConstraintViolation, true)
        XCTAssertEqual(check?.isUniqueViolation, false)

        // Enforced because foreign_keys is switched on at open.
        let foreign = failingWrite("INSERT INTO jobs VALUES (?, ?)", ["job_1", "ds_nope"])
        XCTAssertEqual(foreign?.extendedCode, 787)  // SQLITE_CONSTRAINT_FOREIGNKEY
        XCTAssertEqual(foreign?.isForeignKeyViolation, true)
    }

    func testAFailedStatementLeavesTheConnectionUsable() throws {
        XCTAssertNotNil(failingWrite("INSERT INTO datasets VALUES (?, ?, ?)", ["ds_1", "again", 1]))
        try database.write { try $0.execute("INSERT INTO datasets VALUES (?, ?, ?)", ["ds_5", "iris", 150]) }
        XCTAssertEqual(try database.read { try $0.query("SELECT id FROM datasets") }.count, 2)
    }

    func testErrorsDetectedByTheModuleUseSQLiteCodes() {
        let error = DatabaseError(extendedCode: 21, message: "the database x is closed")
        XCTAssertEqual(error.primaryCode, 21)
        XCTAssertNil(error.sql)
        XCTAssertEqual(error.description, "SQLite error 21 (\(error.codeDescription)): the database x is closed")
        XCTAssertFalse(error.codeDescription.isEmpty)
    }
}
