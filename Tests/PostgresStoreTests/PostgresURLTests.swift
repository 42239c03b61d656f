import PostgresStore
import XCTest

/// The URL parser needs no server: these run in every `swift test`.
final class PostgresURLTests: XCTestCase {
    func testFullURLIsSplitIntoLibpqKeywords() throws {
        let url = try PostgresURL(
            parsing: "postgres://nn:s3cret@db.example:6543/nnserve?sslmode=require&application_name=api")
        XCTAssertEqual(url.user, "nn")
        XCTAssertEqual(url.password, "s3cret")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.database, "nnserve")
        XCTAssertEqual(
            url.connectionKeywords.map { "\($0.0)=\($0.1)" },
            [
                "dbname=nnserve", "user=nn", "password=s3cret", "host=db.example", "port=6543", "sslmode=require",
                "application_name=api",
            ])
    }

    func testComponentsArePercentDecodedOnce() throws {
        let url = try PostgresURL(parsing: "postgresql://us%3Aer:p%40ss%3Aw%2Fo%25rd@h/my%20db")
        XCTAssertEqual(url.user, "us:er")
        XCTAssertEqual(url.password, "p@ss:w/o%rd")
        XCTAssertEqual(url.database, "my db")
        XCTAssertNil(url.port)
    }

    func testIPv6HostAndSocketDirectory() throws {
        let v6 = try PostgresURL(parsing: "postgres://u@[::1]:5433/db")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 5433)
        let socket = try PostgresURL(parsing: "postgres:///db?host=%2Ftmp%2Fpg")
        XCTAssertNil(socket.host)
        XCTAssertEqual(socket.connectionKeywords.last?.1, "/tmp/pg")
    }

    func testDescriptionHidesThePassword() throws {
        let url = try PostgresURL(parsing: "postgres://nn:hunter2@db:5432/nnserve?sslmode=require")
        XCTAssertFalse(url.description.contains("hunter2"))
        XCTAssertEqual(url.description, "postgres://nn:***@db:5432/nnserve?sslmode=require")
    }

    func testMalformedURLsAreRefusedWithTheirFault() {
        let cases: [(String, String)] = [
            ("mysql://u@h/db", "scheme is 'mysql'"),
            ("db.example:5432/nnserve", "no scheme"),
            ("postgres://u@h", "names no database"),
            ("postgres://u@h/", "names no database"),
            ("postgres://u@h:0/db", "port '0'"),
            ("postgres://u@h:65536/db", "port '65536'"),
            ("postgres://u@h:99999999999999999999999/db", "port '99999999999999999999999'"),
            ("postgres://u@h:54x/db", "port '54x'"),
            ("postgres://u@h:/db", "port ''"),
            ("postgres://u:p%zz@h/db", "password has a '%' at offset 1"),
            ("postgres://u:p%4@h/db", "password has a '%'"),
            ("postgres://u@h/db%", "database name has a '%'"),
            ("postgres://u%00x@h/db", "NUL byte"),
            ("postgres://u@h/%FF%FE", "does not decode to UTF-8"),
            ("postgres://u@h/db?sslmode", "has no value"),
            ("postgres://u@h/db?dbname=other", "'dbname' is not one"),
            ("postgres://u@h1,h2/db", "several hosts"),
            ("postgres://u@[::1/db", "no closing ']'"),
            ("postgres://u@[::1]x/db", "after the IPv6 host"),
            ("postgres://u@h/db#frag", "fragment"),
            ("postgres://u@h/db?host=/tmp", "names a host twice"),
            ("postgres://u@h/" + String(repeating: "d", count: 5000), "at most 4096"),
        ]
        for (text, expected) in cases {
            do {
                _ = try PostgresURL(parsing: text)
                XCTFail("accepted \(text)")
            } catch let error as PostgresError {
                XCTAssertEqual(error.kind, .invalidURL, text)
                XCTAssertTrue(error.message.contains(expected), "\(text): \(error.message)")
            } catch {
                XCTFail("\(text): \(error)")
            }
        }
    }

    func testSchemeIsRecognisedWithoutParsing() {
        XCTAssertTrue(PostgresURL.isPostgresURL("POSTGRES://x"))
        XCTAssertTrue(PostgresURL.isPostgresURL("postgresql://x"))
        XCTAssertFalse(PostgresURL.isPostgresURL("data/nnserve.sqlite"))
    }

    /// A refused connection names the server without its password and says why.
    func testUnreachableServerIsAConnectionErrorWithoutThePassword() throws {
        let url = try PostgresURL(parsing: "postgres://nn:hunter2@127.0.0.1:1/db?connect_timeout=2")
        let error = expectPostgresError { _ = try PostgresConnection(url: url) }
        XCTAssertEqual(error?.kind, .connection)
        XCTAssertEqual(error?.isConnectionFailure, true)
        XCTAssertTrue(
            error?.message.contains("postgres://nn:***@127.0.0.1:1/db") ?? false, "\(String(describing: error))")
        XCTAssertFalse(error?.description.contains("hunter2") ?? true)
    }
}
