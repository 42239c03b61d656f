import MicroHTTP
import XCTest

/// One decoding of the path, and every spelling that must be refused rather than normalised.
final class HTTPRequestPathTests: XCTestCase {
    private func segments(_ raw: String, file: StaticString = #filePath, line: UInt = #line) -> [String]? {
        do {
            return try HTTPRequestPath.decode(raw).segments
        } catch {
            XCTFail("\(raw) was refused: \(error)", file: file, line: line)
            return nil
        }
    }

    private func refused(_ raw: String, file: StaticString = #filePath, line: UInt = #line) -> HTTPError? {
        do {
            let decoded = try HTTPRequestPath.decode(raw)
            XCTFail("\(raw) was accepted as \(decoded)", file: file, line: line)
            return nil
        } catch {
            let error = error as? HTTPError
            XCTAssertEqual(error?.status, .badRequest, raw, file: file, line: line)
            XCTAssertEqual(error?.code, "invalid_path", raw, file: file, line: line)
            return error
        }
    }

    func testEscapesDecodeOnceInAnyCase() {
        XCTAssertEqual(segments("/"), [])
        XCTAssertEqual(segments("/v1/models"), ["v1", "models"])
        XCTAssertEqual(segments("/%761/models"), ["v1", "models"])
        XCTAssertEqual(segments("/v%31/jobs"), ["v1", "jobs"])
        XCTAssertEqual(segments("/%76%31/%6Dodels"), ["v1", "models"])
        XCTAssertEqual(segments("/%4a%4A"), ["JJ"], "lower- and upper-case hex digits")
        XCTAssertEqual(segments("/%2576"), ["%76"], "double encoding stays literal after one decode")
        XCTAssertEqual(segments("/%252e%252e"), ["%2e%2e"])
        XCTAssertEqual(segments("/caf%C3%A9/a%20b"), ["café", "a b"])
        XCTAssertEqual(segments("/.../.a/a."), ["...", ".a", "a."], "only exactly '.' and '..' are dot segments")
        XCTAssertEqual(segments("/ui/"), ["ui", ""], "one trailing slash is a final empty segment")
        XCTAssertEqual(HTTPRequestPath(segments: ["ui", ""]).description, "/ui/")
        XCTAssertEqual(HTTPRequestPath(segments: ["v1", "a b"]).description, "/v1/a b")
    }

    func testDotSegmentsInEverySpellingAreRefused() {
        for raw in [
            "/v1/../healthz", "/v1/./models", "/..", "/.", "/v1/%2e%2e/x", "/v1/%2E%2E/x", "/v1/%2e%2E/x", "/v1/.%2e/x",
            "/v1/%2e./x", "/%2e/v1",
        ] {
            let error = refused(raw)
            XCTAssertTrue(error?.message.contains("dot segments") ?? false, raw)
        }
    }

    func testEmptySegmentsAreRefused() {
        for raw in ["//", "//v1/models", "/v1//models", "/v1/models//", "/ui//"] {
            let error = refused(raw)
            XCTAssertTrue(error?.message.contains("empty") ?? false, raw)
        }
    }

    func testEncodedSlashIsRefused() {
        for raw in ["/v1%2Fmodels", "/v1%2fmodels", "/v1/models%2F", "/%2F"] {
            XCTAssertTrue(refused(raw)?.message.contains("%2F") ?? false, raw)
        }
    }

    func testMalformedEscapesNonUTF8AndControlsAreRefused() {
        for raw in ["/a%", "/a%4", "/a%zz", "/a%g1", "/%FF", "/%C3", "/a%00b", "/a%0D%0Ab", "/a%7F", "v1/models"] {
            _ = refused(raw)
        }
    }

    func testErrorNamesThePathAndTheSegment() {
        let error = refused("/v1/%2e%2e/x")
        XCTAssertEqual(
            error?.message,
            "The request path '/v1/%2e%2e/x' is not accepted: segment 2 is '..' once decoded; send the path without dot segments."
        )
    }

    func testRequestCarriesTheDecodedPathAndKeepsTheRawOne() {
        let request = HTTPRequest(method: .get, target: "/%761/models?limit=2")
        XCTAssertEqual(request.path, "/v1/models")
        XCTAssertEqual(request.rawPath, "/%761/models")
        XCTAssertEqual(request.pathSegments, ["v1", "models"])
        XCTAssertNil(request.pathError)
        XCTAssertEqual(request.query, "limit=2")
        let refused = HTTPRequest(method: .get, target: "/v1/%2e%2e/x")
        XCTAssertEqual(refused.path, "/v1/%2e%2e/x")
        XCTAssertEqual(refused.pathSegments, [])
        XCTAssertEqual(refused.pathError?.code, "invalid_path")
    }
}
