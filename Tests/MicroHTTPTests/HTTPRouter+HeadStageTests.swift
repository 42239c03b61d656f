import MicroHTTP
import XCTest

/// The router's head stage: bad paths, decoded matching, and `beforeBody` hooks that see the
/// same decoded path the router matches.
final class HTTPRouterHeadStageTests: XCTestCase {
    private func guardedRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.beforeBody { request in
            guard request.pathSegments.first == "v1" else { return nil }
            guard request.headers["Authorization"] == "Bearer secret" else {
                return .error(.unauthorized, code: "unauthorized", message: "send the token")
            }
            request.attributes["principal"] = "token"
            return nil
        }
        router.get("/v1/models") { .text(.ok, "models for \($0.attributes["principal"] ?? "nobody")") }
        router.get("/v1/models/{id}") { .text(.ok, "model \($0.pathParameters["id"] ?? "?")") }
        router.get("/healthz") { _ in .text(.ok, "ok") }
        return router
    }

    private func request(_ target: String, token: Bool = false) -> HTTPRequest {
        var request = HTTPRequest(method: .get, target: target, headers: ["Host": "x"])
        if token { request.headers.add("Authorization", "Bearer secret") }
        return request
    }

    func testNoSpellingOfTheGuardedPrefixPassesWithoutTheToken() throws {
        let router = guardedRouter()
        for target in ["/v1/models", "/%761/models", "/v%31/models", "/%76%31/%6d%6F%64%65%6c%73", "/V%31/models"] {
            let response = try? router.respond(to: request(target))
            // "/V1/models" matches no route (paths are case-sensitive) but must not be served.
            XCTAssertNotEqual(response?.status, .ok, target)
        }
        for target in ["/v1/models", "/%761/models", "/v%31/models"] {
            XCTAssertEqual(try router.respond(to: request(target, token: true)).bodyText, "models for token", target)
        }
    }

    func testParametersAreDecodedOnce() throws {
        let router = guardedRouter()
        XCTAssertEqual(try router.respond(to: request("/v1/models/a%2520b", token: true)).bodyText, "model a%20b")
        XCTAssertEqual(try router.respond(to: request("/v1/models/a%20b", token: true)).bodyText, "model a b")
        XCTAssertThrowsError(try router.respond(to: request("/%2576%31/models"))) {
            XCTAssertEqual(($0 as? HTTPError)?.status, .notFound, "'%2576' is the literal '%76' after one decode")
        }
    }

    func testBadPathIs400BeforeAnyHook() {
        var router = guardedRouter()
        router.beforeBody { _ in
            XCTFail("no hook runs for a refused path"); return nil
        }
        for target in ["/v1/../healthz", "/v1/%2e%2e/healthz", "/v1//models", "//", "/v1%2Fmodels"] {
            XCTAssertThrowsError(try router.respond(to: request(target, token: true)), target) {
                XCTAssertEqual(($0 as? HTTPError)?.code, "invalid_path", target)
            }
        }
    }

    func testAdmitRunsTheHeadStageOnceAndRecordsTheRoute() throws {
        var router = HTTPRouter()
        let calls = Counter()
        router.beforeBody { _ in
            calls.increment(); return nil
        }
        router.before { request in
            XCTAssertEqual(request.bodyText, "late body", "body hooks see the body")
            return nil
        }
        router.post("/v1/items/{id}") { .text(.ok, "\($0.pathParameters["id"] ?? "")") }
        var request = HTTPRequest(method: .post, target: "/v1/items/%69d", headers: ["Host": "x"])
        XCTAssertNil(try router.admit(&request))
        XCTAssertEqual(request.route, "/v1/items/{id}")
        XCTAssertEqual(request.pathParameters, ["id": "id"])
        request.body = Array("late body".utf8)
        XCTAssertEqual(try router.respond(to: &request).bodyText, "id")
        XCTAssertEqual(calls.value, 1, "respond(to:) does not run the head stage again")
    }
}
