import Foundation
import XCTest

/// The dashboard's routes: open without a token, the right content types and caching, and the
/// compiled-in files byte for byte the same as Sources/NNService/UI/Assets.
final class DashboardTests: XCTestCase {
    static let uiDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/NNService/UI/Assets")

    func testRootRedirectsAndAssetsNeedNoTokenEvenWhenTheServerHasOne() throws {
        let service = try ServiceHarness(token: "s3cret")
        defer { service.shutdown() }
        var anonymous = service.client
        anonymous.token = nil
        for path in ["/", "/ui"] {
            let redirect = try anonymous.request("GET", path)
            XCTAssertEqual(redirect.status, 302, path)
            XCTAssertEqual(redirect.headers["location"], "/ui/", path)
        }
        let page = try anonymous.request("GET", "/ui/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertEqual(page.headers["cache-control"], "no-cache")
        XCTAssertEqual(page.headers["x-content-type-options"], "nosniff")
        XCTAssert(page.headers["content-security-policy"]?.contains("connect-src 'self'") == true)
        XCTAssert(page.text.contains("<script src=\"/ui/app.js\""), page.text)
        let script = try anonymous.request("GET", "/ui/app.js")
        XCTAssertEqual(script.status, 200)
        XCTAssertEqual(script.headers["content-type"], "text/javascript; charset=utf-8")
        let style = try anonymous.request("GET", "/ui/style.css")
        XCTAssertEqual(style.headers["content-type"], "text/css; charset=utf-8")
        // The API behind it still needs the token.
        XCTAssertEqual(try anonymous.request("GET", "/v1/jobs").status, 401)
    }

    func testServedFilesAreTheFilesInUIDirectory() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.uiDirectory.path)
            .filter { [".html", ".css", ".js"].contains(where: $0.hasSuffix) }.sorted()
        XCTAssertEqual(names, ["app.js", "index.html", "style.css"])
        var total = 0
        for name in names {
            let file = try [UInt8](Data(contentsOf: Self.uiDirectory.appendingPathComponent(name)))
            total += file.count
            let served = try service.client.request("GET", name == "index.html" ? "/ui/" : "/ui/\(name)")
            XCTAssertEqual(served.status, 200, name)
            XCTAssert(
                served.body == file,
                "UI/Assets/\(name) differs from the compiled-in copy")
        }
        XCTAssertLessThan(total, 200_000, "the dashboard's assets should stay under 200 KB")
    }

    func testETagRevalidationAndUnknownOrHostileAssetPaths() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let first = try service.client.request("GET", "/ui/app.js")
        let tag = try XCTUnwrap(first.headers["etag"])
        let again = try service.client.request("GET", "/ui/app.js", headers: ["If-None-Match": tag])
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(again.body, [])
        let other = try service.client.request("GET", "/ui/app.js", headers: ["If-None-Match": "\"0000\""])
        XCTAssertEqual(other.status, 200)
        for path in ["/ui/nope.js", "/ui/../openapi.yaml", "/ui/%2e%2e/nnserve.sqlite", "/ui/app.js/", "/ui//"] {
            let response = try service.client.request("GET", path)
            XCTAssert([400, 404].contains(response.status), "\(path): \(response.status)")
            XCTAssertEqual(response.headers["content-type"], "application/json", path)
        }
        XCTAssertEqual(try service.client.request("POST", "/ui/app.js").status, 405)
        XCTAssertEqual(try service.client.request("HEAD", "/ui/").status, 200)
    }
}
