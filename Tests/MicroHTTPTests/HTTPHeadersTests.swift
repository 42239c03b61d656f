import MicroHTTP
import XCTest

final class HTTPHeadersTests: XCTestCase {
    func testCaseInsensitiveLookupKeepsOrderAndSpelling() {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        headers.add("X-Tag", "a")
        headers.add("x-tag", "b")
        XCTAssertEqual(headers["content-type"], "application/json")
        XCTAssertEqual(headers.values(for: "X-TAG"), ["a", "b"])
        XCTAssertEqual(headers.fields.map(\.name), ["Content-Type", "X-Tag", "x-tag"])
        headers.set("X-Tag", "c")
        XCTAssertEqual(headers.values(for: "x-tag"), ["c"])
        headers.remove("CONTENT-TYPE")
        XCTAssertNil(headers["Content-Type"])
        XCTAssertEqual(headers.count, 1)
    }

    func testListValuesSplitAndTrim() {
        var headers = HTTPHeaders()
        headers.add("Accept-Encoding", "gzip , br,,")
        headers.add("Accept-Encoding", " identity")
        XCTAssertEqual(headers.listValues(for: "accept-encoding"), ["gzip", "br", "identity"])
    }
}
