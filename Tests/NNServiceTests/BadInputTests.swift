import Foundation
import XCTest

/// The bad inputs of API.md get their status, name what is wrong, and store nothing.
final class BadInputTests: XCTestCase {
    func testRejectedRequestsStoreNothing() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let good = try client.json(
            "POST", "/v1/datasets",
            [
                "name": "tiny", "inputs": [[0, 1], [1, 0], [1, 1], [0, 0]],
                "targets": [1, 1, 0, 0],
            ])
        XCTAssertEqual(good.status, 201, good.text)
        let dataset = good.object["id"] as? String ?? ""
        let before = try service.counts()

        func expect(
            _ response: TestClient.Response, _ status: Int, path: String? = nil, mentions text: String? = nil,
            line: UInt = #line
        ) {
            XCTAssertEqual(response.status, status, response.text, line: line)
            XCTAssertNotNil(response.errorCode, response.text, line: line)
            if let path { XCTAssertEqual(response.errorPath, path, response.text, line: line) }
            if let text { XCTAssert(response.text.contains(text), response.text, line: line) }
        }
        let raw = { (body: String) in try client.request("POST", "/v1/datasets", body: Array(body.utf8)) }
        expect(try raw(#"{"inputs": [[1, 2], [3]], "targets": [0, 1]}"#), 422, path: "inputs[1]", mentions: "2 numbers")
        expect(try raw(#"{"inputs": [[1, NaN]], "targets": [0]}"#), 400, mentions: "NaN")
        expect(try raw(#"{"inputs": [[1, Infinity]], "targets": [0]}"#), 400)
        expect(try raw(#"{"inputs": [[1, 1e39]], "targets": [0]}"#), 422, path: "inputs[0][1]", mentions: "float32")
        expect(try raw(#"{"inputs": [[1, "x"]], "targets": [0]}"#), 422, path: "inputs[0][1]")
        expect(try raw(#"{"inputs": [], "targets": []}"#), 422, path: "inputs")
        expect(try raw(#"{"inputs": [[1]], "targets": [0, 1]}"#), 422, path: "targets")
        expect(try raw(#"{"inputs": [[1]], "targets": [0], "labels": 1}"#), 422, path: "labels")
        expect(try raw(#"{"inputs": [[1]], "targets": [0.5], "task": "classification"}"#), 422, path: "targets[0]")
        expect(try raw(#"{"inputs": [[1]],"#), 400)
        expect(
            try client.request("POST", "/v1/datasets", body: Array("a,b\n1,x\n".utf8), contentType: "text/csv"), 422,
            mentions: "row 1, column 2 ('b')")
        expect(
            try client.request("POST", "/v1/datasets", body: Array("a,b\n1,2\n3\n".utf8), contentType: "text/csv"), 422,
            mentions: "row 2")
        expect(try client.request("POST", "/v1/datasets", body: Array("a,b\n".utf8), contentType: "text/csv"), 422)
        expect(try client.request("POST", "/v1/datasets", body: Array("x".utf8), contentType: "application/xml"), 415)

        let model: [String: Any] = ["input_shape": [2], "layers": [["type": "dense", "units": 2]]]
        func job(_ changes: [String: Any]) throws -> TestClient.Response {
            var body: [String: Any] = [
                "model": model, "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.1], "epochs": 1,
            ]
            for (key, value) in changes { body[key] = value }
            return try client.json("POST", "/v1/jobs", body.filter { !($0.value is NSNull) })
        }
        expect(try job(["dataset": "ds_missing"]), 422, path: "dataset")
        expect(try job(["model": NSNull(), "model_id": "m_missing"]), 422, path: "model_id")
        expect(
            try job(["model": ["input_shape": [2], "layers": [["type": "dense", "units": 0]]]]), 422,
            path: "model.layers[0].units")
        expect(
            try job(["model": ["input_shape": [2], "layers": [["type": "dense", "units": 3]]]]), 422,
            path: "model.layers[0]",
            mentions: "2 classes")
        expect(
            try job(["model": ["input_shape": [3], "layers": [["type": "dense", "units": 2]]]]), 422,
            path: "model.input_shape")
        expect(try job(["optimizer": ["type": "sgd", "learning_rate": -0.1]]), 422, path: "optimizer.learning_rate")
        expect(try job(["epochs": 0]), 422, path: "epochs")
        expect(try job(["batchsize": 3]), 422, path: "batchsize")
        expect(try job(["loss": "mse"]), 422, path: "loss")
        expect(
            try client.json(
                "POST", "/v1/models", ["input_shape": [4, 4, 1], "layers": [["type": "dense", "units": 2]]]), 422,
            path: "layers[0].type", mentions: "flatten")
        expect(
            try client.json(
                "POST", "/v1/models", ["input_shape": [4, 4, 1], "layers": [["type": "maxpool2d", "pool_size": 8]]]),
            422, path: "layers[0].pool_size")
        expect(try client.request("GET", "/v1/jobs/job_missing"), 404)
        expect(try client.request("DELETE", "/v1/datasets/ds_missing"), 404)
        expect(try client.request("GET", "/v1/nothing"), 404)
        let wrongMethod = try client.request("PATCH", "/v1/datasets")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertNotNil(wrongMethod.headers["allow"])
        expect(try client.request("GET", "/v1/datasets?limit=0"), 400, path: "limit")
        XCTAssertEqual(try service.counts(), before, "rejected requests must store nothing")
    }

    func testDatasetInUseCannotBeDeletedAndListsPage() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        var ids: [String] = []
        for index in 0..<3 {
            let response = try client.json(
                "POST", "/v1/datasets",
                [
                    "name": "set\(index)", "input_shape": [2, 1],
                    "inputs": [[[0], [1]], [[1], [0]]], "targets": [[0.5], [1.5]],
                ])
            XCTAssertEqual(response.status, 201, response.text)
            XCTAssertEqual((response.object["target"] as? [String: Any])?["kind"] as? String, "values")
            ids.append(response.object["id"] as? String ?? "")
        }
        let first = try client.request("GET", "/v1/datasets?limit=2").object
        XCTAssertEqual((first["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, Array(ids[0..<2]))
        let cursor = try XCTUnwrap(first["next"] as? String)
        let second = try client.request("GET", "/v1/datasets?limit=2&after=\(cursor)").object
        XCTAssertEqual((second["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [ids[2]])
        XCTAssert(second["next"] is NSNull)

        let job: [String: Any] = [
            "model": ["input_shape": [2, 1], "layers": [["type": "flatten"], ["type": "dense", "units": 1]]],
            "dataset": ids[0], "loss": "mse", "optimizer": ["type": "adam"], "epochs": 90_000,
        ]
        let submitted = try client.json("POST", "/v1/jobs", job)
        XCTAssertEqual(submitted.status, 202, submitted.text)
        let conflict = try client.request("DELETE", "/v1/datasets/\(ids[0])")
        XCTAssertEqual(conflict.status, 409)
        XCTAssertEqual(
            try client.request("POST", "/v1/jobs/\(submitted.object["id"] as? String ?? "")/cancel").status, 200)
        XCTAssertEqual(try client.request("DELETE", "/v1/datasets/\(ids[0])").status, 204)
        XCTAssertEqual(try client.request("GET", "/v1/datasets/\(ids[0])").status, 404)
    }
}
