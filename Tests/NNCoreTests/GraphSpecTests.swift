import Foundation
import NNCore
import XCTest

/// Graph specs: names and inputs resolve, summaries show shapes and wiring, and every
/// malformed graph is refused naming the layer and field at fault.
final class GraphSpecTests: XCTestCase {
    static func spec(_ json: String) throws -> ModelSpec {
        try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
    }

    func testPlainListIsAChainNamedByIndex() throws {
        let spec = try Self.spec(
            #"{"input_shape": [4], "layers": [{"type": "dense", "units": 3}, {"type": "dense", "units": 2}]}"#)
        let graph = try spec.graph()
        XCTAssertTrue(graph.isChain)
        XCTAssertEqual(graph.names, ["0", "1"])
        XCTAssertEqual(graph.sources, [[-1], [0]])
        XCTAssertNil(try spec.validate()[0].name, "a plain list's summary stays as it was")
        XCTAssertEqual(
            try Network(spec: spec, seed: 0).namedParameters.map(\.name),
            ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
    }

    func testResidualSummaryShowsShapesWiringAndPyTorchCounts() throws {
        let spec = try Self.spec(
            #"""
            {"input_shape": [8, 8, 3], "layers": [
              {"name": "stem", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
              {"name": "a", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"},
              {"name": "bn", "type": "batchnorm"},
              {"name": "sum", "type": "add", "inputs": ["bn", "stem"]},
              {"name": "wide", "type": "concatenate", "inputs": ["sum", "input", "stem"]},
              {"type": "flatten"},
              {"type": "dense", "units": 2}]}
            """#)
        let summary = try spec.validate()
        XCTAssertEqual(
            summary.map(\.outputShape), [[8, 8, 4], [8, 8, 4], [8, 8, 4], [8, 8, 4], [8, 8, 11], [704], [2]])
        XCTAssertEqual(summary.map(\.params), [112, 148, 8, 0, 0, 0, 1410])
        XCTAssertEqual(summary.map(\.name), ["stem", "a", "bn", "sum", "wide", "5", "6"])
        XCTAssertEqual(summary[4].inputs, ["sum", "input", "stem"])
        XCTAssertEqual(summary[5].inputs, ["wide"])
        XCTAssertFalse(try spec.graph().isChain)
        let again = try JSONDecoder().decode(ModelSpec.self, from: JSONEncoder().encode(spec))
        XCTAssertEqual(again, spec, "names and inputs survive a round trip")
        let names = try Network(spec: spec, seed: 0).namedParameters.map(\.name)
        XCTAssertEqual(names.first, "layers.stem.weight")
        XCTAssert(names.contains("layers.bn.running_var"))
        XCTAssertEqual(names.last, "layers.6.bias")
    }

    func testConcatenateAxes() throws {
        func shape(_ axis: Int, _ a: [Int], _ b: [Int]) throws -> [Int] {
            let spec = try Self.spec(
                #"""
                {"input_shape": \#(a), "layers": [
                  {"name": "p", "type": "activation", "function": "relu"},
                  {"name": "q", "type": "dense", "units": \#(b.last!), "inputs": ["input"]},
                  {"type": "concatenate", "axis": \#(axis), "inputs": ["p", "q"]}]}
                """#)
            return try spec.outputShape()
        }
        XCTAssertEqual(try shape(-1, [3], [5]), [8])
        XCTAssertEqual(try shape(0, [3], [5]), [8])
        XCTAssertThrowsError(try shape(1, [3], [5])) { error in
            XCTAssertEqual((error as? SpecError)?.path, "layers[2].axis")
        }
    }

    /// Each case: the layers, the path of the error, and a word its message must contain.
    func testMalformedGraphsNameThePlace() throws {
        let dense = #"{"type": "dense", "units": 2"#
        let cases: [(String, String, String)] = [
            (#"\#(dense), "name": "a"}, \#(dense), "name": "a"}"#, "layers[1].name", "already used"),
            (#"\#(dense)}, \#(dense), "inputs": ["nope"]}"#, "layers[1].inputs[0]", "'0'"),
            (#"\#(dense), "inputs": ["b"]}, \#(dense), "name": "b"}"#, "layers[0].inputs[0]", "order of computation"),
            (#"\#(dense), "name": "a", "inputs": ["a"]}"#, "layers[0].inputs[0]", "not before"),
            (#"\#(dense)}, \#(dense), "inputs": ["input"]}"#, "layers[0]", "never read"),
            (#"\#(dense)}, {"type": "add"}"#, "layers[1].inputs", "two or more"),
            (#"\#(dense)}, {"type": "concatenate", "inputs": ["0"]}"#, "layers[1].inputs", "two or more"),
            (#"\#(dense)}, \#(dense), "inputs": ["0", "input"]}"#, "layers[1].inputs", "exactly one"),
            (#"\#(dense), "inputs": []}"#, "layers[0].inputs", "1 to"),
            (#"\#(dense), "inputs": "input"}"#, "layers[0].inputs", "array"),
            (#"\#(dense), "inputs": [3]}"#, "layers[0].inputs", "array"),
            (#"\#(dense), "name": "input"}"#, "layers[0].name", "model's input"),
            (#"\#(dense), "name": "a.b"}"#, "layers[0].name", "letters"),
            (#"\#(dense), "name": ""}"#, "layers[0].name", "letters"),
            (#"\#(dense), "name": "1"}, \#(dense)}"#, "layers[0].name", "own index"),
            (#"\#(dense), "name": 5}"#, "layers[0].name", "string"),
            (
                #"{"type": "dense", "units": 3, "name": "w"}, \#(dense), "inputs": ["input"]}, {"type": "add", "inputs": ["w", "1"]}"#,
                "layers[2].inputs[1]", "one shape"
            ),
            (
                #"{"type": "dense", "units": 3, "name": "w"}, {"type": "activation", "function": "relu", "inputs": ["input"]}, {"type": "concatenate", "axis": 1, "inputs": ["w", "1"]}"#,
                "layers[2].axis", "does not exist"
            ),
            (#"\#(dense)}, {"type": "concatenate", "axis": 7, "inputs": ["0", "input"]}"#, "layers[1].axis", "between"),
        ]
        for (layers, path, fragment) in cases {
            let json = #"{"input_shape": [2], "layers": [\#(layers)]}"#
            do {
                _ = try Self.spec(json).validate()
                XCTFail("accepted: \(layers)")
            } catch let error as SpecError {
                XCTAssertEqual(error.path, path, "\(layers): \(error)")
                XCTAssert(error.message.contains(fragment), "\(layers): \(error.message)")
            }
        }
    }

    func testConcatenateOfImagesChecksTheOtherAxes() throws {
        let spec = try Self.spec(
            #"""
            {"input_shape": [6, 6, 2], "layers": [
              {"name": "half", "type": "maxpool2d", "pool_size": 2},
              {"name": "full", "type": "conv2d", "filters": 3, "kernel_size": 1, "inputs": ["input"]},
              {"type": "concatenate", "inputs": ["full", "half"]}]}
            """#)
        XCTAssertThrowsError(try spec.validate()) { error in
            XCTAssertEqual((error as? SpecError)?.path, "layers[2].inputs[1]")
            XCTAssert((error as? SpecError)?.message.contains("[3, 3, 2]") == true)
        }
    }
}
