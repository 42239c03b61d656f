import Foundation
import XCTest

/// Requests at the edges of openapi.yaml's schemas get the answer the spec gives them: what the
/// schema refuses the server refuses too, naming the field, and stores nothing.
final class SpecEdgeTests: XCTestCase {
    func testQueryAndNullEdgesAreRefusedWithTheirPath() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let before = try service.counts()
        func expect(_ response: TestClient.Response, _ status: Int, path: String, line: UInt = #line) {
            XCTAssertEqual(response.status, status, response.text, line: line)
            XCTAssertEqual(response.errorPath, path, response.text, line: line)
        }
        let xor = #"{"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [0, 1, 1, 0]}"#
        // Query parameters that only CSV uploads read are still checked on JSON uploads.
        expect(try client.request("POST", "/v1/datasets?task=AAA", body: Array(xor.utf8)), 422, path: "task")
        expect(try client.request("POST", "/v1/datasets?target=", body: Array(xor.utf8)), 400, path: "target")
        expect(try client.request("POST", "/v1/datasets?name=", body: Array(xor.utf8)), 400, path: "name")
        for shape in ["", "0", "2,", "a", "-2", "1,,2"] {
            expect(
                try client.request("POST", "/v1/datasets?input_shape=\(shape)", body: Array(xor.utf8)), 400,
                path: "input_shape")
        }
        let csv = Array("a,b,label\n0,1,1\n1,0,1\n".utf8)
        expect(
            try client.request("POST", "/v1/datasets?target=", body: csv, contentType: "text/csv"), 400, path: "target")
        // An empty cursor is not "the first page".
        for list in ["/v1/datasets", "/v1/models", "/v1/jobs"] {
            expect(try client.request("GET", "\(list)?after="), 400, path: "after")
        }
        // No request field is nullable: null is refused rather than read as "use the default".
        let nullEpsilon = #"{"input_shape": [4], "layers": [{"type": "batchnorm", "epsilon": null}]}"#
        expect(try client.request("POST", "/v1/models", body: Array(nullEpsilon.utf8)), 422, path: "layers[0].epsilon")
        let nullUnits = #"{"input_shape": [4], "layers": [{"type": "dense", "units": null}]}"#
        expect(try client.request("POST", "/v1/models", body: Array(nullUnits.utf8)), 422, path: "layers[0].units")
        XCTAssertEqual(try service.counts(), before)
    }
}
