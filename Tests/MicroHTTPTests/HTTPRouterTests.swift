import MicroHTTP
import XCTest

/// The router without sockets: build a request, call `respond(to:)`.
final class HTTPRouterTests: XCTestCase {
    private func request(_ method: HTTPMethod, _ target: String) -> HTTPRequest {
        HTTPRequest(method: method, target: target, headers: ["Host": "x"])
    }

    private func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/v1/jobs") { _ in .text(.ok, "list") }
        router.post("/v1/jobs") { _ in
            HTTPResponse(status: .accepted, headers: ["Location": "/v1/jobs/job_1"])
        }
        router.get("/v1/jobs/{id}") { .text(.ok, "job \($0.pathParameters["id"] ?? "?")") }
        router.delete("/v1/jobs/{id}") { _ in .noContent() }
        router.get("/v1/jobs/stats") { _ in .text(.ok, "stats") }
        router.get("/v1/models/{model}/checkpoints/{epoch}") { request in
            .text(.ok, "\(request.pathParameters["model"] ?? "")@\(request.pathParameters["epoch"] ?? "")")
        }
        router.get("/") { _ in .text(.ok, "root") }
        return router
    }

    func testParametersAndLiteralPrecedence() throws {
        let router = makeRouter()
        XCTAssertEqual(try router.respond(to: request(.get, "/v1/jobs/job_42")).bodyText, "job job_42")
        XCTAssertEqual(try router.respond(to: request(.get, "/v1/jobs/stats")).bodyText, "stats")
        XCTAssertEqual(try router.respond(to: request(.get, "/v1/models/m_1/checkpoints/7")).bodyText, "m_1@7")
        XCTAssertEqual(try router.respond(to: request(.get, "/")).bodyText, "root")
        XCTAssertEqual(try router.respond(to: request(.get, "/v1/jobs/a%20b")).bodyText, "job a b")
    }

    func testMatchedRouteIsRecorded() throws {
        let router = makeRouter()
        var job = request(.get, "/v1/jobs/job_1?verbose=1")
        _ = try router.respond(to: &job)
        XCTAssertEqual(job.route, "/v1/jobs/{id}")
        XCTAssertEqual(job.pathParameters, ["id": "job_1"])
    }

    func testUnknownPathIs404AndWrongMethodIs405WithAllow() {
        let router = makeRouter()
        XCTAssertThrowsError(try router.respond(to: request(.get, "/v2/jobs"))) {
            XCTAssertEqual(($0 as? HTTPError)?.status, .notFound)
        }
        XCTAssertThrowsError(try router.respond(to: request(.get, "/v1/jobs/"))) {
            XCTAssertEqual(($0 as? HTTPError)?.status, .notFound, "a trailing slash is another path")
        }
        XCTAssertThrowsError(try router.respond(to: request(.put, "/v1/jobs/job_1"))) { error in
            XCTAssertEqual(error as? HTTPError, .methodNotAllowed(allowed: [.delete, .get, .head]))
            XCTAssertEqual((error as? HTTPError)?.response.headers["Allow"], "DELETE, GET, HEAD")
        }
    }

    func testHeadFallsBackToGet() throws {
        XCTAssertEqual(try makeRouter().respond(to: request(.head, "/v1/jobs")).status, .ok)
    }

    func testResponseHeadersSuchAsLocation() throws {
        let response = try makeRouter().respond(to: request(.post, "/v1/jobs"))
        XCTAssertEqual(response.status, .accepted)
        XCTAssertEqual(response.headers["location"], "/v1/jobs/job_1")
    }

    func testBeforeHookCanAnswerOrAnnotate() throws {
        var router = makeRouter()
        router.before { request in
            guard request.path.hasPrefix("/v1") else { return nil }
            guard request.headers["Authorization"] == "Bearer secret" else {
                var headers = HTTPHeaders()
                headers.add("WWW-Authenticate", "Bearer")
                return .error(
                    .unauthorized, code: "unauthorized", message: "Send 'Authorization: Bearer TOKEN'.",
                    headers: headers)
            }
            request.attributes["principal"] = "token"
            return nil
        }
        router.get("/v1/whoami") { .text(.ok, $0.attributes["principal"] ?? "nobody") }
        let denied = try router.respond(to: request(.get, "/v1/jobs"))
        XCTAssertEqual(denied.status, .unauthorized)
        XCTAssertEqual(denied.headers["WWW-Authenticate"], "Bearer")
        XCTAssertEqual(try router.respond(to: request(.get, "/")).bodyText, "root")
        var allowed = request(.get, "/v1/whoami")
        allowed.headers.add("Authorization", "Bearer secret")
        XCTAssertEqual(try router.respond(to: allowed).bodyText, "token")
    }

    func testErrorBodyShape() {
        let response = HTTPResponse.error(
            .unprocessableContent, code: "invalid_layer", message: "Units must be \"positive\".",
            path: "model.layers[3].units")
        XCTAssertEqual(
            response.bodyText,
            #"{"error":{"code":"invalid_layer","message":"Units must be \"positive\".","path":"model.layers[3].units"}}"#
        )
        XCTAssertEqual(response.headers["Content-Type"], "application/json")
    }
}
