import Foundation
import NNCore
import XCTest

final class ModelSpecTests: XCTestCase {
    private func decode(_ json: String) throws -> ModelSpec {
        try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
    }

    private func assertError(
        _ json: String, path: String, contains text: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let spec = try decode(json)
            _ = try spec.validate()
            XCTFail("expected an error at \(path)", file: file, line: line)
        } catch let error as SpecError {
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssert(error.message.contains(text), "\(error.message)", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    func testSummaryShapesAndParameterCounts() throws {
        let spec = try decode(
            """
            {"input_shape": [28, 28, 1], "layers": [
              {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": "same", "activation": "relu"},
              {"type": "maxpool2d", "pool_size": 2},
              {"type": "conv2d", "filters": 16, "kernel_size": [5, 5]},
              {"type": "maxpool2d"}, {"type": "flatten"},
              {"type": "dense", "units": 120, "activation": "relu"}, {"type": "dropout", "rate": 0.5},
              {"type": "batchnorm"}, {"type": "dense", "units": 10, "use_bias": false}]}
            """)
        let summary = try spec.validate()
        XCTAssertEqual(
            summary.map(\.outputShape),
            [
                [28, 28, 6], [14, 14, 6], [10, 10, 16], [5, 5, 16], [400],
                [120], [120], [120], [10],
            ])
        XCTAssertEqual(summary.map(\.params), [156, 0, 2416, 0, 0, 48120, 0, 240, 1200])
        let recurrent = try decode(
            """
            {"input_shape": [50, 16], "layers": [{"type": "lstm", "units": 64, "return_sequences": true},
              {"type": "rnn", "units": 8}, {"type": "dense", "units": 10}]}
            """)
        XCTAssertEqual(try recurrent.validate().map(\.params), [4 * 64 * (16 + 64 + 2), 8 * (64 + 8 + 2), 90])
        // Encoding writes every default so that a stored spec is explicit, and decodes back.
        let encoded = try JSONEncoder().encode(spec)
        XCTAssertEqual(try JSONDecoder().decode(ModelSpec.self, from: encoded), spec)
    }

    func testErrorsNameTheirPath() {
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": 0}]}"#, path: "layers[0].units",
            contains: "between 1 and")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": 3}, {"type": "dense"}]}"#,
            path: "layers[1].units", contains: "needs 'units'")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": 3, "activaton": "relu"}]}"#,
            path: "layers[0].activaton", contains: "unknown field")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": 3, "activation": "gelu"}]}"#,
            path: "layers[0].activation", contains: "unknown activation")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": "three"}]}"#,
            path: "layers[0].units", contains: "integer")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "densse", "units": 3}]}"#,
            path: "layers[0].type", contains: "unknown layer type")
        assertError(
            #"{"input_shape": [8, 8, 1], "layers": [{"type": "dense", "units": 3}]}"#,
            path: "layers[0].type", contains: "flatten")
        assertError(
            #"{"input_shape": [4, 4, 1], "layers": [{"type": "maxpool2d", "pool_size": 5}]}"#,
            path: "layers[0].pool_size", contains: "larger")
        assertError(
            #"{"input_shape": [4, 4, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 5}]}"#,
            path: "layers[0].kernel_size", contains: "larger")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dropout", "rate": 1.0}]}"#,
            path: "layers[0].rate", contains: "[0, 1)")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "dropout", "rate": 0.99999999}]}"#,
            path: "layers[0].rate", contains: "[0, 1)")
        assertError(
            #"{"input_shape": [5, 3], "layers": [{"type": "rnn", "units": 4}, {"type": "lstm", "units": 4}]}"#,
            path: "layers[0].return_sequences", contains: "return_sequences")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "lstm", "units": 4}]}"#,
            path: "layers[0].type", contains: "[steps, features]")
        assertError(#"{"input_shape": [4], "layers": []}"#, path: "layers", contains: "at least one layer")
        assertError(
            #"{"input_shape": [0], "layers": [{"type": "flatten"}]}"#, path: "input_shape[0]", contains: "between")
        assertError(
            #"{"input_shape": [4], "layers": [{"type": "flatten"}], "extra": 1}"#, path: "extra",
            contains: "unknown field")
        assertError(
            #"{"input_shape": [100000], "layers": [{"type": "dense", "units": 1000000}]}"#,
            path: "layers[0].type", contains: "parameters")
    }

    func testTrainingConfigDefaultsAndErrors() throws {
        let config = try JSONDecoder().decode(
            TrainingConfig.self,
            from: Data(
                """
                {"loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                 "dataset": "ds_1", "validation": {"split": 0.1}, "lr_schedule": {"type": "step", "step_size": 10, "gamma": 0.5},
                 "early_stopping": {"patience": 3}}
                """.utf8))
        XCTAssertEqual(config.batchSize, 32)
        XCTAssertEqual(config.learningRate(epoch: 25), 0.025, accuracy: 1e-12)
        XCTAssertEqual(config.earlyStopping?.monitor, "val_loss")
        let cases: [(String, String)] = [
            (
                #"{"loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": -1}}"#,
                "optimizer.learning_rate"
            ),
            (#"{"loss": "hinge", "optimizer": {"type": "sgd", "learning_rate": 1}}"#, "loss"),
            (#"{"loss": "mse", "optimizer": {"type": "adam", "lr": 1}}"#, "optimizer.lr"),
            (#"{"loss": "mse", "optimizer": {"type": "adam"}, "batch_size": 0}"#, "batch_size"),
            (#"{"loss": "mse", "optimizer": {"type": "adam"}, "early_stopping": {}}"#, "early_stopping.monitor"),
            (#"{"loss": "mse", "optimizer": {"type": "adam"}, "validation": {"split": 1.5}}"#, "validation.split"),
            (#"{"loss": "mse", "optimizer": {"type": "adam"}, "epochz": 3}"#, "epochz"),
        ]
        for (json, path) in cases {
            XCTAssertThrowsError(try JSONDecoder().decode(TrainingConfig.self, from: Data(json.utf8)), json) { error in
                XCTAssertEqual((error as? SpecError)?.path, path, json)
            }
        }
    }
}
