import Foundation
import XCTest

/// JSON data sets are read in one pass from the body bytes: fields in any order, rows flat or
/// nested, the first offending element named, nothing stored on error.
final class DatasetUploadTests: XCTestCase {
    private func upload(_ service: ServiceHarness, _ text: String) throws -> TestClient.Response {
        try service.client.request("POST", "/v1/datasets", body: Array(text.utf8))
    }

    func testFieldsInAnyOrderAndNestedRows() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let nested = try upload(
            service,
            #"{"targets": [0, 1], "inputs": [[[1], [2]], [[3], [4.5e0]]], "name": "n", "input_shape": [2, 1]}"#)
        XCTAssertEqual(nested.status, 201, nested.text)
        XCTAssertEqual(nested.object["input_shape"] as? [Int], [2, 1])
        XCTAssertEqual(nested.object["rows"] as? Int, 2)
        let flat = try upload(
            service, #" { "inputs" : [ [1,2] , [3,4] ] , "targets" : [[0.5],[1]] , "input_shape":[2,1] } "#)
        XCTAssertEqual(flat.status, 201, flat.text)
        XCTAssertEqual(flat.object["bytes"] as? Int, 24)
    }

    func testErrorsNameTheFirstOffendingElement() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let before = try service.counts()
        let cases: [(String, Int, String?)] = [
            (#"{"inputs": [[[1], [2]], [[3]]], "targets": [0, 1], "input_shape": [2, 1]}"#, 422, "inputs[1]"),
            (#"{"inputs": [[1, [2]]], "targets": [0]}"#, 422, "inputs[0][1]"),
            (#"{"inputs": [[[1, 2], [3]]], "targets": [0], "input_shape": [2, 2]}"#, 422, "inputs[0][1]"),
            (#"{"inputs": [[1, true]], "targets": [0]}"#, 422, "inputs[0][1]"),
            (#"{"inputs": [[1, -1e39]], "targets": [0]}"#, 422, "inputs[0][1]"),
            (#"{"inputs": [3], "targets": [0]}"#, 422, "inputs[0]"),
            (#"{"inputs": [[1, 2]], "targets": [0], "input_shape": [3]}"#, 422, "inputs[0]"),
            (#"{"inputs": [[[[1]]]], "targets": [0]}"#, 422, "inputs[0][0]"),
            (#"{"inputs": [[[[[[1]]]]]], "targets": [0]}"#, 422, "inputs[0][0][0][0][0]"),
            (#"{"inputs": [[1, 2]], "targets": [0]} x"#, 400, nil),
            (#"{"inputs": [[1, 2]], "targets": [0], }"#, 400, nil),
            (#"{"inputs": [[1, 02]], "targets": [0]}"#, 400, nil),
            (#"{"inputs": [[1, -]], "targets": [0]}"#, 400, nil),
            (#"{"inputs": [[1, 2]"#, 400, nil),
            (#"{"name": "a\"#, 400, nil),
            (#"[1]"#, 422, nil),
            ("", 400, nil),
        ]
        for (text, status, path) in cases {
            let response = try upload(service, text)
            XCTAssertEqual(response.status, status, "\(text): \(response.text)")
            XCTAssertNotNil(response.errorCode, text)
            if let path { XCTAssertEqual(response.errorPath, path, "\(text): \(response.text)") }
        }
        XCTAssertEqual(try service.counts(), before, "rejected uploads store nothing")
    }
}
