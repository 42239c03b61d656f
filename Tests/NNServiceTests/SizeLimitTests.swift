import Foundation
import XCTest

/// Sizes computed from client numbers are checked before anything is reserved: each of these
/// requests used to trap the process (overflow) or abort it (allocation). Each is now a 422
/// naming the field, stores nothing, and the service keeps answering.
final class SizeLimitTests: XCTestCase {
    private func expect(
        _ response: TestClient.Response, _ status: Int, code: String? = nil, path: String? = nil,
        line: UInt = #line
    ) {
        XCTAssertEqual(response.status, status, response.text, line: line)
        if let code { XCTAssertEqual(response.errorCode, code, response.text, line: line) }
        if let path { XCTAssertEqual(response.errorPath, path, response.text, line: line) }
    }

    func testOverflowingShapesAreRefused() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let before = try service.counts()
        let huge = 67_108_864
        expect(
            try client.json(
                "POST", "/v1/datasets", ["input_shape": [huge, huge, huge], "inputs": [[1]], "targets": [0]]),
            422, code: "too_large", path: "input_shape")
        expect(
            try client.json("POST", "/v1/datasets", ["input_shape": [8193, 8192], "inputs": [[1]], "targets": [0]]),
            422, code: "too_large", path: "input_shape")
        expect(
            try client.request(
                "POST", "/v1/datasets?input_shape=\(huge),\(huge),\(huge)", body: Array("a,y\n1,0\n".utf8),
                contentType: "text/csv"), 422, code: "too_large", path: "input_shape")
        expect(
            try client.request(
                "POST", "/v1/datasets?input_shape=-3,-1", body: Array("a,b,y\n1,2,0\n".utf8), contentType: "text/csv"),
            400, path: "input_shape")
        // A claimed row width is never trusted for a reservation: rows are read as they come and
        // the first short row is named.
        let rows = Array(repeating: [1], count: 20_000)
        let targets = rows.map { _ in 0 }
        expect(
            try client.json("POST", "/v1/datasets", ["input_shape": [huge], "inputs": rows, "targets": targets]),
            422, path: "inputs[0]")
        XCTAssertEqual(try service.counts(), before)
        XCTAssertEqual(try client.request("GET", "/healthz").status, 200)
    }

    /// 100,000 one-number rows for a model whose rows have 2^26 inputs: refused before any
    /// row is read, with the memory the request would need named.
    func testPredictOfWideRowsIsRefusedBeforeReserving() throws {
        let service = try ServiceHarness {
            $0.maxMemoryBytes = 4 << 30
            $0.maxParameters = 100_000_000
        }
        defer { service.shutdown() }
        let client = service.client
        let model = try client.json(
            "POST", "/v1/models", ["input_shape": [1 << 26], "layers": [["type": "dense", "units": 1]]])
        XCTAssertEqual(model.status, 201, model.text)
        let id = model.object["id"] as? String ?? ""
        var body = "{\"inputs\":["
        body += Array(repeating: "[1]", count: 100_000).joined(separator: ",")
        body += "]}"
        let response = try client.request("POST", "/v1/models/\(id)/predict", body: Array(body.utf8))
        expect(response, 422, code: "too_large", path: "inputs")
        XCTAssert(response.text.contains("NN_MAX_MEMORY"), response.text)
        // One such row fits the budget; its width is then checked row by row.
        let one = try client.request("POST", "/v1/models/\(id)/predict", body: Array(#"{"inputs":[[1]]}"#.utf8))
        expect(one, 422, path: "inputs[0]")
        XCTAssertEqual(try client.request("GET", "/healthz").status, 200)
    }

    /// A model's description carries its training memory so that a client can size a batch.
    func testModelDescriptionCarriesMemory() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let response = try service.client.json(
            "POST", "/v1/models", ["input_shape": [784], "layers": [["type": "dense", "units": 256]]])
        XCTAssertEqual(response.status, 201, response.text)
        let memory = response.object["memory"] as? [String: Any] ?? [:]
        let fixed = memory["fixed_bytes"] as? Int ?? 0
        let perSample = memory["per_sample_bytes"] as? Int ?? 0
        // 200,960 parameters of 4 bytes, with gradients and Adam's state: several MB at least.
        XCTAssertGreaterThan(fixed, 200_960 * 4 * 4)
        // Two copies of the 784 inputs, the 256 outputs and their gradients, at least.
        XCTAssertGreaterThan(perSample, (2 * 784 + 2 * 256) * 4)
        XCTAssertLessThan(perSample, 64 * 1024)
    }

    /// Found by the JSON data set fuzzer: a first row of no numbers stored a data set of
    /// input_shape [0] and no rows.
    func testEmptyFirstRowIsRefused() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let before = try service.counts()
        let response = try service.client.request(
            "POST", "/v1/datasets", body: Array(#"{"inputs":[[]],"targets":[0]}"#.utf8))
        expect(response, 422, path: "inputs[0]")
        XCTAssertEqual(try service.counts(), before)
    }
}
