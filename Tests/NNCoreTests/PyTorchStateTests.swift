import Foundation
import NNCore
import XCTest

/// State dicts made by PyTorch itself (`Fixtures/pytorch_states.json`, written by
/// scripts/fixtures/make_pytorch_state_fixtures.py): nnserve loads them as they are and
/// predicts what PyTorch computes, and its own files carry exactly PyTorch's names.
final class PyTorchStateTests: XCTestCase {
    struct Case: Decodable {
        var name: String
        var loss: LossFunction?
        var spec: ModelSpec
        var names: [String]
        var safetensors: String
        var input: [Float]
        var output: [Float]
    }

    struct Fixtures: Decodable { var cases: [Case] }

    private static let fixtures: Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pytorch_states.json")
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    private func file(_ fixture: Case) throws -> SafetensorsFile {
        try SafetensorsFile(bytes: [UInt8](try XCTUnwrap(Data(base64Encoded: fixture.safetensors))))
    }

    func testPyTorchStateDictsLoadAndPredictAsPyTorchDoes() throws {
        XCTAssertEqual(Self.fixtures.cases.count, 2)
        for fixture in Self.fixtures.cases {
            let network = try Network(spec: fixture.spec, seed: 5)
            let file = try file(fixture)
            XCTAssertFalse(file.integerTensors.isEmpty, "\(fixture.name): PyTorch's counter is I64")
            try network.loadWeights(file)
            let input = Tensor(shape: [3] + fixture.spec.inputShape, scalars: fixture.input)
            let output = network.predict(input, loss: fixture.loss)
            XCTAssertEqual(output.count, fixture.output.count)
            for (ours, theirs) in zip(output.scalars, fixture.output) {
                XCTAssertEqual(ours, theirs, accuracy: 1e-5, fixture.name)
            }
        }
    }

    func testDownloadCarriesExactlyPyTorchsNamesAndDtypes() throws {
        for fixture in Self.fixtures.cases {
            let exported = try Network(spec: fixture.spec, seed: 5).exportWeights()
            let names = exported.tensors.map(\.name) + exported.integerTensors.map(\.name)
            XCTAssertEqual(Set(names), Set(fixture.names), fixture.name)
            let theirs = try file(fixture)
            XCTAssertEqual(exported.integerTensors.map(\.name), theirs.integerTensors.map(\.name))
            XCTAssertEqual(exported.integerTensors.map(\.shape), theirs.integerTensors.map(\.shape))
            for (name, tensor) in exported.tensors {
                XCTAssertEqual(tensor.shape, theirs.tensor(named: name)?.shape, name)
            }
            let decoded = try SafetensorsFile(bytes: exported.encoded())
            XCTAssertEqual(decoded, exported, "I64 tensors survive a round trip")
        }
    }

    func testEarlierRecurrentNamesStillLoadAndCountersAreIgnored() throws {
        let fixture = try XCTUnwrap(Self.fixtures.cases.first { $0.name == "recurrent" })
        var file = try file(fixture)
        file.tensors = file.tensors.map { name, tensor in
            (name.hasSuffix("_l0") ? String(name.dropLast(3)) : name, tensor)
        }
        file.integerTensors.removeAll()
        let network = try Network(spec: fixture.spec, seed: 5)
        try network.loadWeights(file)
        let reference = try Network(spec: fixture.spec, seed: 6)
        try reference.loadWeights(try self.file(fixture))
        XCTAssertEqual(network.exportWeights(), reference.exportWeights())
    }

    func testForeignIntegerTensorsAndDuplicateSpellingsAreRejected() throws {
        let fixture = try XCTUnwrap(Self.fixtures.cases.first { $0.name == "recurrent" })
        let network = try Network(spec: fixture.spec, seed: 5)
        let before = network.exportWeights()
        var stray = try file(fixture)
        stray.integerTensors.append(("layers.0.num_batches_tracked", [], [1]))
        XCTAssertThrowsError(try network.loadWeights(stray)) { error in
            XCTAssertTrue("\(error)".contains("layers.0.num_batches_tracked"), "\(error)")
        }
        var twice = try file(fixture)
        twice.tensors.append(("layers.0.weight_ih", twice.tensors[0].tensor))
        XCTAssertThrowsError(try network.loadWeights(twice)) { error in
            XCTAssertTrue("\(error)".contains("layers.0.weight_ih'"), "\(error)")
        }
        XCTAssertEqual(network.exportWeights(), before, "a rejected file changes nothing")
    }

    func testMalformedIntegerTensorsAreRejected() {
        func raw(_ header: String, data: [UInt8]) -> [UInt8] {
            var out = [UInt8]()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            return out + Array(header.utf8) + data
        }
        let four = [UInt8](repeating: 0, count: 4)
        XCTAssertThrowsError(
            try SafetensorsFile(bytes: raw(#"{"n":{"dtype":"I64","shape":[],"data_offsets":[0,4]}}"#, data: four)))
        XCTAssertThrowsError(
            try SafetensorsFile(
                bytes: raw(#"{"n":{"dtype":"I64","shape":[4611686018427387904],"data_offsets":[0,4]}}"#, data: four)))
        XCTAssertThrowsError(
            try SafetensorsFile(bytes: raw(#"{"n":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: four)))
    }
}
