import Foundation
import PostgresStore
import XCTest

/// Against a real server (skipped without NN_TEST_DATABASE_URL).
final class PostgresConnectionTests: XCTestCase {
    func testValuesRoundTripExactlyInBinary() throws {
        let database = try makeIsolatedDatabase()
        try database.withConnection { db in
            try db.execute(
                """
                CREATE TABLE v(i BIGINT, i4 INTEGER, d DOUBLE PRECISION, b BOOLEAN, t TEXT, j JSONB, blob BYTEA,
                  at TIMESTAMPTZ)
                """)
            let doubles: [Double] = [
                0.1, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
            ]
            let blob = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            for (index, double) in doubles.enumerated() {
                try db.execute(
                    "INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7, now())",
                    [
                        index == 0 ? Int64.min : Int64.max, Int32.min, double, index % 2 == 0, "é ✓ \(index)",
                        "{\"k\": \(index)}", index == 0 ? blob : Data(),
                    ])
            }
            try db.execute("INSERT INTO v(i) VALUES (NULL)")
            let rows = try db.query("SELECT * FROM v ORDER BY t NULLS LAST")
            XCTAssertEqual(rows.count, doubles.count + 1)
            for (index, double) in doubles.enumerated() {
                let row = rows[index]
                XCTAssertEqual(try row.get("i") as Int64, index == 0 ? Int64.min : Int64.max)
                XCTAssertEqual(try row.get("i4") as Int, Int(Int32.min))
                XCTAssertEqual((try row.get("d") as Double).bitPattern, double.bitPattern)
                XCTAssertEqual(try row.get("b") as Bool, index % 2 == 0)
                XCTAssertEqual(try row.get("t") as String, "é ✓ \(index)")
                XCTAssertEqual(try row.get("j") as String, "{\"k\": \(index)}")
                XCTAssertEqual(try row.get("blob") as Data, index == 0 ? blob : Data())
                XCTAssertLessThan(abs((try row.get("at") as Date).timeIntervalSinceNow), 60)
            }
            XCTAssertNil(try rows.last!.get("t") as String?)
            XCTAssertThrowsError(try rows.last!.get("t") as String)
            let nan = try db.queryOne("SELECT $1::float8 AS x", [Double.nan])!
            XCTAssertTrue((try nan.get("x") as Double).isNaN)
        }
    }

    func testFloatArraysAreStoredAsHostOrderFloat32Bytes() throws {
        let database = try makeIsolatedDatabase()
        let weights: [Float] = [1.5, -0.0, .pi, .ulpOfOne, .nan]
        let row = try database.withConnection { db in try db.queryOne("SELECT $1::bytea AS w", [weights])! }
        XCTAssertEqual((try row.floats("w")).map(\.bitPattern), weights.map(\.bitPattern))
        XCTAssertEqual((try row.get("w") as Data).count, 20)
        let odd = try database.withConnection { db in try db.queryOne("SELECT '\\x010203'::bytea AS w")! }
        XCTAssertThrowsError(try odd.floats("w"))
    }

    func testAggregatesAndCountsDecode() throws {
        let database = try makeIsolatedDatabase()
        let row = try database.withConnection { db in
            try db.queryOne(
                "SELECT COUNT(*) AS n, SUM(x) AS s, AVG(x) AS a, 12345678.000001::numeric AS big, -0.05::numeric AS neg, 0::numeric AS z FROM generate_series(1, 10) AS x"
            )!
        }
        XCTAssertEqual(try row.get("n") as Int, 10)
        XCTAssertEqual(try row.get("s") as Int, 55)
        XCTAssertEqual(try row.get("a") as Double, 5.5)
        XCTAssertEqual(row[3], .numeric("12345678.000001"))
        XCTAssertEqual(row[4], .numeric("-0.05"))
        XCTAssertEqual(row[5], .numeric("0"))
    }

    func testServerErrorsCarrySQLStateAndConstraint() throws {
        let database = try makeIsolatedDatabase()
        try database.withConnection { db in
            try db.execute("CREATE TABLE u(id TEXT CONSTRAINT u_pk PRIMARY KEY)")
            XCTAssertEqual(try db.execute("INSERT INTO u VALUES ($1)", ["a"]).affectedRows, 1)
            let duplicate = expectPostgresError { try db.execute("INSERT INTO u VALUES ($1)", ["a"]) }
            XCTAssertEqual(duplicate?.isUniqueViolation, true)
            XCTAssertEqual(duplicate?.constraint, "u_pk")
            XCTAssertEqual(duplicate?.kind, .server)
            let two = expectPostgresError { try db.execute("SELECT 1; SELECT 2") }
            XCTAssertEqual(two?.sqlState, "42601")
            let nul = expectPostgresError { try db.execute("INSERT INTO u VALUES ($1)", ["a\u{0}b"]) }
            XCTAssertEqual(nul?.kind, .misuse)
            // Still usable after each failure, and nothing was changed by them.
            XCTAssertEqual(try db.queryOne("SELECT COUNT(*) AS n FROM u")?.get("n") as Int?, 1)
        }
    }

    func testScriptsRunSeveralStatements() throws {
        let database = try makeIsolatedDatabase()
        let count = try database.withConnection { db -> Int in
            try db.executeScript("CREATE TABLE s(x INT); INSERT INTO s VALUES (1), (2);")
            return try db.queryOne("SELECT COUNT(*) AS n FROM s")!.get("n")
        }
        XCTAssertEqual(count, 2)
    }

    func testUnsupportedTypesAskForACast() throws {
        let database = try makeIsolatedDatabase()
        let row = try database.withConnection { db in try db.queryOne("SELECT '1 day'::interval AS i")! }
        let error = expectPostgresError { _ = try row.get("i") as String }
        XCTAssertTrue(error?.message.contains("cast it in SQL") ?? false)
    }
}
