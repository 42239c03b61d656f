import Foundation
import XCTest

/// `POST /v1/models` with a Keras document made by Keras itself: the model is created with
/// Keras' parameter count and trains through the API; an unsupported layer is a 422 that
/// names it and stores nothing.
final class KerasImportRouteTests: XCTestCase {
    private func fixtures(_ key: String) throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NNCoreTests/Fixtures/keras_models.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return try XCTUnwrap(object?[key] as? [[String: Any]])
    }

    func testKerasModelImportsAndTrains() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        for fixture in try fixtures("cases") {
            let created = try client.json("POST", "/v1/models", try XCTUnwrap(fixture["model"]))
            XCTAssertEqual(created.status, 201, created.text)
            XCTAssertEqual(created.object["params"] as? Int, fixture["params"] as? Int, "\(fixture["name"] ?? "")")
        }
        let mlp = try XCTUnwrap(try fixtures("cases").first { $0["name"] as? String == "mlp_digits" }?["model"])
        let model = try XCTUnwrap(client.json("POST", "/v1/models", mlp).object["id"] as? String)
        let digits = try DigitsFixture.load()
        let upload = try client.request(
            "POST", "/v1/datasets?name=digits&drop=split&target=label", body: Array(digits.trainCSV.utf8),
            contentType: "text/csv")
        let dataset = try XCTUnwrap(upload.object["id"] as? String)
        let job = try client.json(
            "POST", "/v1/jobs",
            [
                "model_id": model, "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "adam", "learning_rate": 0.01], "batch_size": 32, "epochs": 3, "seed": 0,
            ])
        XCTAssertEqual(job.status, 202, job.text)
        let ended = try service.waitForJob(try XCTUnwrap(job.object["id"] as? String))
        XCTAssertEqual(ended["status"] as? String, "succeeded", "\(ended)")
        let prediction = try client.json("POST", "/v1/models/\(model)/predict", ["inputs": Array(digits.testRows)])
        let outputs = try XCTUnwrap(prediction.object["outputs"] as? [[Double]])
        let correct = zip(outputs, digits.testLabels).filter { row, label in row.firstIndex(of: row.max()!) == label }
        XCTAssertGreaterThan(Double(correct.count) / Double(outputs.count), 0.85, "the imported model learns")
    }

    func testUnsupportedKerasLayersAre422AndStoreNothing() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let before = try service.counts()
        for fixture in try fixtures("rejected") {
            let response = try service.client.json("POST", "/v1/models", try XCTUnwrap(fixture["model"]))
            XCTAssertEqual(response.status, 422, response.text)
            XCTAssertEqual(
                response.errorPath?.hasPrefix(fixture["path"] as? String ?? "?"), true,
                "\(fixture["name"] ?? ""): \(response.text)")
        }
        let conv1d = try service.client.json("POST", "/v1/models", try XCTUnwrap(try fixtures("rejected")[0]["model"]))
        XCTAssertTrue(conv1d.text.contains("Conv1D"), conv1d.text)
        let broken = try service.client.request("POST", "/v1/models", body: Array(#"{"class_name": "Sequ"#.utf8))
        XCTAssertEqual(broken.status, 400)
        XCTAssertEqual(try service.counts(), before)
    }
}
