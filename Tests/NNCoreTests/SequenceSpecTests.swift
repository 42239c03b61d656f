import Foundation
import NNCore
import XCTest

/// Decoding, shape inference and summaries of the token and sequence layers; every refused
/// spec names the field at fault and reaches no precondition.
final class SequenceSpecTests: XCTestCase {
    private func assertSpecError(
        _ json: String, path: String, code: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try Network(spec: try ModelSpec(json: json), seed: 0), file: file, line: line) { error in
            guard let error = error as? SpecError else {
                return XCTFail("not a SpecError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.path, path, error.message, file: file, line: line)
            if let code { XCTAssertEqual(error.code, code, error.message, file: file, line: line) }
        }
    }

    func testSummaryOfATextClassifier() throws {
        let spec = try ModelSpec(
            json: """
                {"input_shape": [20], "layers": [{"type": "embedding", "input_dim": 100, "output_dim": 8},
                 {"type": "conv1d", "filters": 16, "kernel_size": 5, "activation": "relu"},
                 {"type": "maxpool1d"}, {"type": "avgpool1d", "pool_size": 3, "stride": 1},
                 {"type": "global_avgpool"}, {"type": "dense", "units": 4}]}
                """)
        let summary = try spec.validate()
        XCTAssertEqual(summary.map(\.outputShape), [[20, 8], [16, 16], [8, 16], [6, 16], [16], [4]])
        // PyTorch: Embedding 100·8, Conv1d 16·(5·8) + 16, Linear 16·4 + 4.
        XCTAssertEqual(summary.map(\.params), [800, 656, 0, 0, 0, 68])
        XCTAssertEqual(
            summary.map(\.type), ["embedding", "conv1d", "maxpool1d", "avgpool1d", "global_avgpool", "dense"])
        // Encoding gives the spec back with its defaults filled in.
        let again = try JSONDecoder().decode(ModelSpec.self, from: try JSONEncoder().encode(spec))
        XCTAssertEqual(again, spec)
        XCTAssertEqual(again.layers[2], .maxpool1d(pool: 2, stride: 2))
        XCTAssertEqual(again.layers[1], .conv1d(filters: 16, kernel: 5, stride: 1, padding: .valid, activation: .relu))
    }

    func testPerStepHeadsAndTagger() throws {
        let spec = try ModelSpec(
            json: """
                {"input_shape": [7], "layers": [{"type": "embedding", "input_dim": 10, "output_dim": 4},
                 {"type": "lstm", "units": 6, "return_sequences": true}, {"type": "dense", "units": 3},
                 {"type": "activation", "function": "softmax"}]}
                """)
        XCTAssertEqual(try spec.validate().map(\.outputShape), [[7, 4], [7, 6], [7, 3], [7, 3]])
        XCTAssertEqual(try spec.validate()[2].params, 21)
        let image = try ModelSpec(json: #"{"input_shape": [4, 5, 3], "layers": [{"type": "global_avgpool"}]}"#)
        XCTAssertEqual(try image.outputShape(), [3])
    }

    /// The estimate counts every per-step output, and a recurrent layer's state per step it
    /// actually runs: after a stride-4 conv1d a quarter of the input's steps.
    func testMemoryEstimateFollowsTheSteps() throws {
        func estimate(stride: Int) throws -> MemoryEstimate {
            let spec = ModelSpec(
                inputShape: [400],
                layers: [
                    .embedding(inputDim: 50, outputDim: 16),
                    .conv1d(filters: 16, kernel: 4, stride: stride, padding: .same, activation: .relu),
                    .lstm(units: 64, returnSequences: true), .dense(units: 3, activation: .linear, useBias: true),
                ])
            return spec.memoryEstimate(summary: try spec.validate())
        }
        let full = try estimate(stride: 1), strided = try estimate(stride: 4)
        // Per sample at stride 1: the LSTM's [400, 64] output alone, kept and with its gradient.
        XCTAssertGreaterThan(full.perSampleBytes, 4 * 2 * 400 * 64)
        XCTAssertLessThan(strided.perSampleBytes, full.perSampleBytes / 3)
        XCTAssertEqual(strided.fixedBytes, full.fixedBytes)
    }

    func testRefusedSpecsNameTheField() {
        func spec(_ input: String, _ layers: String) -> String { #"{"input_shape": \#(input), "layers": \#(layers)}"# }
        assertSpecError(
            spec("[4]", #"[{"type": "embedding", "input_dim": 2000000, "output_dim": 3}]"#), path: "layers[0].input_dim"
        )
        assertSpecError(
            spec("[4]", #"[{"type": "embedding", "input_dim": 5, "output_dim": 0}]"#), path: "layers[0].output_dim")
        assertSpecError(
            spec("[4]", #"[{"type": "embedding", "input_dim": 1048576, "output_dim": 1048576}]"#),
            path: "layers[0].input_dim", code: "too_large")
        assertSpecError(spec("[4]", #"[{"type": "embedding", "input_dim": 5}]"#), path: "layers[0].output_dim")
        assertSpecError(
            spec("[4, 2]", #"[{"type": "embedding", "input_dim": 5, "output_dim": 2}]"#), path: "layers[0].type")
        assertSpecError(
            spec("[4]", #"[{"type": "dense", "units": 3}, {"type": "embedding", "input_dim": 5, "output_dim": 2}]"#),
            path: "layers[1].type")
        assertSpecError(
            spec("[6, 2]", #"[{"type": "conv1d", "filters": 2, "kernel_size": 7}]"#), path: "layers[0].kernel_size")
        assertSpecError(spec("[6]", #"[{"type": "conv1d", "filters": 2, "kernel_size": 2}]"#), path: "layers[0].type")
        assertSpecError(
            spec("[6, 2]", #"[{"type": "conv1d", "filters": 2, "kernel_size": 2, "padding": "full"}]"#),
            path: "layers[0].padding")
        assertSpecError(
            spec("[6, 2]", #"[{"type": "conv1d", "filters": 2, "kernel_size": 2, "stride": 0}]"#),
            path: "layers[0].stride")
        assertSpecError(spec("[6, 2]", #"[{"type": "maxpool1d", "pool_size": 7}]"#), path: "layers[0].pool_size")
        assertSpecError(spec("[6, 2]", #"[{"type": "avgpool1d", "pool_size": [2, 2]}]"#), path: "layers[0].pool_size")
        assertSpecError(spec("[6]", #"[{"type": "global_avgpool"}]"#), path: "layers[0].type")
        assertSpecError(spec("[6, 2]", #"[{"type": "global_avgpool", "axis": 1}]"#), path: "layers[0].axis")
        assertSpecError(spec("[6, 2, 2]", #"[{"type": "dense", "units": 2}]"#), path: "layers[0].type")
        // Huge products of valid-looking sizes are refused, never computed with.
        assertSpecError(
            spec("[60000, 1000]", #"[{"type": "conv1d", "filters": 1048576, "kernel_size": 60000}]"#),
            path: "layers[0].type", code: "too_large")
    }

    func testTokensOutsideTheVocabularyAreFound() throws {
        let spec = try ModelSpec(
            json: #"{"input_shape": [3], "layers": [{"type": "embedding", "input_dim": 4, "output_dim": 2}]}"#)
        for (values, bad) in [
            ([0, 1, 2, 3, 3, 2], nil), ([0, 1, 2, 3, 4, 2], (1, 1)), ([0, 1, 2, 3, 1, 2.5], (1, 2)),
            ([-1, 1, 2, 3, 1, 2], (0, 0)), ([0, 1, .nan, 3, 1, 2], (0, 2)),
        ] as [([Float], (Int, Int)?)] {
            let found = values.withUnsafeBufferPointer { spec.firstInvalidToken($0) }
            XCTAssertEqual(found.map { [$0.row, $0.column] }, bad.map { [$0.0, $0.1] }, "\(values)")
        }
        XCTAssertThrowsError(try spec.checkTokens([0, 1, 9], path: { "inputs[\($0)][\($1)]" })) { error in
            XCTAssertEqual((error as? SpecError)?.path, "inputs[0][2]")
        }
    }

    /// In a graph, every embedding reads the model's input, wherever it stands in the list, and
    /// a token must fit the smallest of their tables; an embedding of a computed value is refused.
    func testEmbeddingsOfAGraphReadTheModelInput() throws {
        let twoTables = try ModelSpec(
            json: #"""
                {"input_shape": [3], "layers": [
                  {"name": "wide", "type": "embedding", "input_dim": 9, "output_dim": 2},
                  {"name": "narrow", "type": "embedding", "input_dim": 5, "output_dim": 2, "inputs": ["input"]},
                  {"type": "add", "inputs": ["wide", "narrow"]}]}
                """#)
        XCTAssertEqual(try twoTables.validate().map(\.outputShape).last, [3, 2])
        XCTAssertEqual(twoTables.tokenVocabulary, 5)
        let found = [Float]([0, 4, 6]).withUnsafeBufferPointer { twoTables.firstInvalidToken($0) }
        XCTAssertEqual(found.map { [$0.row, $0.column] }, [0, 2], "6 is outside the narrow table")
        assertSpecError(
            #"""
            {"input_shape": [3], "layers": [
              {"name": "e", "type": "embedding", "input_dim": 9, "output_dim": 2},
              {"type": "embedding", "input_dim": 5, "output_dim": 2, "inputs": ["e"]}]}
            """#, path: "layers[1].type")
    }
}
