import Foundation
import NNCore
import XCTest

/// Keras documents made by Keras itself (`Fixtures/keras_models.json`, written by
/// scripts/fixtures/make_keras_fixtures.py): the supported ones import with Keras'
/// trainable parameter counts plus PyTorch's second recurrent bias; the others are refused
/// with the path of the layer field at fault.
final class KerasImportTests: XCTestCase {
    private func list(_ key: String) -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/keras_models.json")
        let fixtures = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any]
        return fixtures?[key] as? [[String: Any]] ?? []
    }

    func testKerasModelsImportWithKerasParameterCounts() throws {
        XCTAssertEqual(list("cases").count, 8)
        for fixture in list("cases") {
            let name = fixture["name"] as? String ?? ""
            let document = try XCTUnwrap(fixture["model"] as? [String: Any])
            XCTAssertTrue(KerasImport.isKerasDocument(document))
            let spec = try KerasImport.spec(from: document)
            let params = try spec.validate().reduce(0) { $0 + $1.params }
            XCTAssertEqual(params, fixture["params"] as? Int, name)
            let network = try Network(spec: spec, seed: 1)
            XCTAssertEqual(network.parameterCount, params)
        }
    }

    func testTranslationKeepsEveryOption() throws {
        let cnn = try XCTUnwrap(list("cases").first { $0["name"] as? String == "cnn" }?["model"] as? [String: Any])
        let spec = try KerasImport.spec(from: cnn)
        XCTAssertEqual(spec.inputShape, [12, 10, 2])
        XCTAssertEqual(
            spec.layers,
            [
                .conv2d(filters: 4, kernel: IntPair(3, 3), stride: IntPair(2, 2), padding: .same, activation: .relu),
                .conv2d(filters: 3, kernel: IntPair(2, 3), stride: IntPair(1, 1), padding: .valid, activation: .tanh),
                .batchnorm(momentum: 0.9, epsilon: 1e-4), .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)),
                .flatten, .dense(units: 5, activation: .linear, useBias: false), .activation(.sigmoid),
            ])
        let recurrent = try XCTUnwrap(
            list("cases").first { $0["name"] as? String == "recurrent" }?["model"] as? [String: Any])
        XCTAssertEqual(
            try KerasImport.spec(from: recurrent).layers,
            [
                .lstm(units: 6, returnSequences: true), .rnn(units: 4, activation: .relu, returnSequences: true),
                .rnn(units: 3, activation: .tanh, returnSequences: false),
                .dense(units: 2, activation: .linear, useBias: true),
            ])
    }

    func testSequenceLayersTranslate() throws {
        let text = try XCTUnwrap(list("cases").first { $0["name"] as? String == "text" }?["model"] as? [String: Any])
        let spec = try KerasImport.spec(from: text)
        XCTAssertEqual(spec.inputShape, [12])
        XCTAssertEqual(
            spec.layers,
            [
                .embedding(inputDim: 30, outputDim: 6),
                .conv1d(filters: 5, kernel: 3, stride: 1, padding: .same, activation: .relu),
                .maxpool1d(pool: 2, stride: 2), .avgpool1d(pool: 2, stride: 1),
                .conv1d(filters: 4, kernel: 2, stride: 2, padding: .valid, activation: .linear), .globalAvgpool,
                .dense(units: 3, activation: .softmax, useBias: true),
            ])
        let tagger = try XCTUnwrap(
            list("cases").first { $0["name"] as? String == "tagger" }?["model"] as? [String: Any])
        XCTAssertEqual(try KerasImport.spec(from: tagger).validate().last?.outputShape, [7, 3])
    }

    func testUnsupportedLayersAreRefusedWithThePathAndTheClass() throws {
        XCTAssertEqual(list("rejected").count, 8)
        for fixture in list("rejected") {
            let name = fixture["name"] as? String ?? ""
            let document = try XCTUnwrap(fixture["model"] as? [String: Any])
            XCTAssertThrowsError(try KerasImport.spec(from: document), name) { error in
                guard let error = error as? SpecError else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(error.path.hasPrefix(fixture["path"] as? String ?? "?"), "\(name): \(error)")
                if name == "gru" { XCTAssertTrue(error.message.contains("GRU"), error.message) }
            }
        }
    }

    func testMalformedDocumentsAreRefused() {
        let cases: [(String, [String: Any], String)] = [
            ("functional model", ["class_name": "Functional", "config": [:]], "class_name"),
            ("no layers", ["class_name": "Sequential", "config": [:]], "config.layers"),
            (
                "no input shape", ["class_name": "Sequential", "config": ["layers": [["class_name": "Flatten"]]]],
                "config.layers[0]"
            ),
            (
                "units not a number",
                [
                    "class_name": "Sequential",
                    "config": [
                        "layers": [
                            ["class_name": "InputLayer", "config": ["batch_shape": [NSNull(), 3]]],
                            ["class_name": "Dense", "config": ["units": "many"]],
                        ]
                    ],
                ], "config.layers[1].config.units"
            ),
            (
                "huge units",
                [
                    "class_name": "Sequential",
                    "config": [
                        "layers": [
                            ["class_name": "InputLayer", "config": ["batch_shape": [NSNull(), 3]]],
                            ["class_name": "Dense", "config": ["units": 1e300]],
                        ]
                    ],
                ], "config.layers[1].config.units"
            ),
            (
                "huge kernel",
                [
                    "class_name": "Sequential",
                    "config": [
                        "layers": [
                            ["class_name": "InputLayer", "config": ["batch_shape": [NSNull(), 3, 3, 1]]],
                            ["class_name": "Conv2D", "config": ["filters": 1, "kernel_size": [1e300, -5]]],
                        ]
                    ],
                ], "config.layers[1].config.kernel_size"
            ),
        ]
        for (name, document, path) in cases {
            XCTAssertThrowsError(try KerasImport.spec(from: document), name) { error in
                XCTAssertEqual((error as? SpecError)?.path, path, "\(name): \(error)")
            }
        }
    }
}
