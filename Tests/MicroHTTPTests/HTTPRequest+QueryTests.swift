import MicroHTTP
import XCTest

final class HTTPRequestQueryTests: XCTestCase {
    private func request(_ method: HTTPMethod, _ target: String) -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: ["Host": "x"])
    }

    func testQueryParameters() {
        let request = request(.get, "/v1/jobs?status=running&limit=5&tag=a&tag=b%20c&name=x+y&empty")
        XCTAssertEqual(request.path, "/v1/jobs")
        XCTAssertEqual(request.queryValue("status"), "running")
        XCTAssertEqual(request.queryValue("limit"), "5")
        XCTAssertEqual(request.queryValues("tag"), ["a", "b c"])
        XCTAssertEqual(request.queryValue("name"), "x y")
        XCTAssertEqual(request.queryValue("empty"), "")
        XCTAssertNil(request.queryValue("missing"))
    }

    func testAbsoluteFormTargetYieldsPath() {
        let request = request(.get, "http://example.com:8080/v1/jobs?limit=1")
        XCTAssertEqual(request.path, "/v1/jobs")
        XCTAssertEqual(request.query, "limit=1")
    }

    func testPercentDecodingNeverFails() {
        XCTAssertEqual(percentDecoded("a%20b%2Fc"), "a b/c")
        XCTAssertEqual(percentDecoded("100%"), "100%")
        XCTAssertEqual(percentDecoded("%zz%4"), "%zz%4")
        XCTAssertEqual(percentDecoded("%FF"), "\u{FFFD}")
        XCTAssertEqual(percentDecoded("a+b", plusAsSpace: true), "a b")
        XCTAssertEqual(percentDecoded("a+b"), "a+b")
    }

    func testFragmentIsDropped() {
        let request = request(.get, "/a?b=1#frag")
        XCTAssertEqual(request.path, "/a")
        XCTAssertEqual(request.query, "b=1")
    }
}
