import Foundation
import XCTest

/// The token check against every spelling of `/v1`, refusals from the head, and metric labels
/// that clients cannot multiply.
final class PathAndTokenTests: XCTestCase {
    func testEveryEncodedSpellingOfV1NeedsTheToken() throws {
        let service = try ServiceHarness(token: "s3cret")
        defer { service.shutdown() }
        var anonymous = service.client
        anonymous.token = nil
        for target in [
            "/%761/models", "/v%31/jobs", "/%76%31/datasets", "/v1/%6dodels", "/%76%31/%6D%6F%64%65%6C%73",
            "/v1/models?limit=1",
        ] {
            let response = try anonymous.request("GET", target)
            XCTAssertEqual(response.status, 401, "\(target): \(response.text)")
            XCTAssertEqual(try service.client.request("GET", target).status, 200, target)
        }
        // One decoding only: "%2576" is the literal "%76", so this is not /v1 and not a route.
        XCTAssertEqual(try anonymous.request("GET", "/%2576%31/models").status, 404)
    }

    func testDotEmptyAndEncodedSlashSegmentsAre400() throws {
        let service = try ServiceHarness(token: "s3cret")
        defer { service.shutdown() }
        for target in [
            "/v1/models//", "/v1//models", "//v1/models", "/v1/%2e%2e/healthz", "/v1/%2E%2e/v1/models", "/v1/./models",
            "/v1%2Fmodels", "/v1%2fmodels", "/v1/models/%", "/v1/models/%zz",
        ] {
            let response = try service.client.request("GET", target)
            XCTAssertEqual(response.status, 400, target)
            XCTAssertEqual(response.errorCode, "invalid_path", "\(target): \(response.text)")
        }
    }

    func testUnauthenticatedUploadIsRefusedFromItsHead() throws {
        let service = try ServiceHarness(token: "s3cret")
        defer { service.shutdown() }
        let before = try service.counts()
        let connection = try RawConnection(port: service.server.port)
        connection.send(
            "POST /v1/datasets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 500000000\r\n\r\n"
        )
        XCTAssertTrue(connection.readUntilClosed(timeout: 5), "the server closes instead of waiting for the body")
        XCTAssertTrue(connection.receivedText.hasPrefix("HTTP/1.1 401 "), connection.receivedText)
        XCTAssertFalse(connection.receivedText.contains("100 Continue"))
        XCTAssertEqual(try service.counts(), before)
    }

    func testMadeUpMethodsAddNoMetricSeries() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        func series() throws -> [String] {
            try service.client.request("GET", "/metrics").text.split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("nnserve_http_requests_total{")
                    || $0.hasPrefix("nnserve_http_request_duration_seconds_count{")
            }
        }
        _ = try service.client.request("GET", "/metrics")
        let before = try series()
        for index in 0..<300 {
            let target = index % 2 == 0 ? "/healthz" : "/made-up-\(index)"
            let response = try service.client.request("M\(index)X", target, contentType: nil)
            XCTAssertEqual(response.status, index % 2 == 0 ? 405 : 404)
        }
        let after = try series()
        let added = Set(after.map { $0.components(separatedBy: "}")[0] }).subtracting(
            before.map { $0.components(separatedBy: "}")[0] })
        XCTAssertLessThanOrEqual(added.count, 4, "\(added.sorted())")
        XCTAssert(
            after.contains(#"nnserve_http_requests_total{route="/healthz",method="other",status="405"} 150"#),
            after.joined(separator: "\n"))
        XCTAssert(
            after.contains(#"nnserve_http_requests_total{route="other",method="other",status="404"} 150"#),
            after.joined(separator: "\n"))
    }
}
