import Foundation
import NNCore
import XCTest

final class SafetensorsTests: XCTestCase {
    private func network() throws -> Network {
        try Network(
            spec: ModelSpec(
                inputShape: [6],
                layers: [
                    .dense(units: 4, activation: .relu, useBias: true),
                    .dense(units: 3, activation: .linear, useBias: false),
                ]), seed: 1)
    }

    func testRoundTripKeepsNamesLayoutsAndBits() throws {
        let model = try network()
        let file = model.exportWeights(metadata: ["epoch": "3"])
        XCTAssertEqual(file.tensors.map(\.name), ["layers.0.weight", "layers.0.bias", "layers.1.weight"])
        XCTAssertEqual(file.tensors[0].tensor.shape, [4, 6], "dense weight is [out, in] as PyTorch")
        let bytes = file.encoded()
        XCTAssertEqual((bytes.count - 8) % 4, 0)
        let decoded = try SafetensorsFile(bytes: bytes)
        XCTAssertEqual(decoded, file)
        let other = try Network(spec: model.spec, seed: 2)
        XCTAssertNotEqual(other.exportWeights(), file)
        try other.loadWeights(decoded)
        XCTAssertEqual(other.exportWeights().tensors.map(\.tensor), file.tensors.map(\.tensor))
    }

    /// Builds a file from a raw header and data section.
    private func raw(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        var out = [UInt8]()
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + Array(header.utf8) + data
    }

    func testMalformedFilesAreRejectedWithAReason() {
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [(String, [UInt8], String)] = [
            ("too short", [1, 2, 3], "8-byte"),
            ("header length past the end", raw("{}", length: 1 << 40), "does not fit"),
            ("header not JSON", raw("{nope"), "not valid JSON"),
            ("header not an object", raw("[1]"), "JSON object"),
            ("wrong dtype", raw(#"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eight), "F32"),
            (
                "shape does not match bytes",
                raw(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight), "span"
            ),
            (
                "offsets out of range", raw(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight),
                "outside"
            ),
            (
                "overlapping tensors",
                raw(
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                    data: eight), "overlaps"
            ),
            ("gap in data", raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: eight), "gap"),
            (
                "unused trailing bytes", raw(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: eight),
                "no tensor uses"
            ),
            ("missing fields", raw(#"{"a":{"dtype":"F32"}}"#), "needs dtype"),
            (
                "huge shape",
                raw(#"{"a":{"dtype":"F32","shape":[2147483648,2147483648,4],"data_offsets":[0,8]}}"#, data: eight),
                "larger"
            ),
        ]
        for (what, bytes, reason) in cases {
            XCTAssertThrowsError(try SafetensorsFile(bytes: bytes), what) { error in
                XCTAssert("\(error)".contains(reason), "\(what): \(error)")
            }
        }
    }

    func testLoadRejectsMissingWrongShapeAndForeignTensorsWithoutChangingTheModel() throws {
        let model = try network()
        let before = model.exportWeights()
        var missing = before
        missing.tensors.removeLast()
        var wrongShape = before
        wrongShape.tensors[1].tensor = Tensor(zeros: [5])
        var foreign = before
        foreign.tensors.append(("layers.7.weight", Tensor(zeros: [1])))
        for (file, reason) in [(missing, "missing"), (wrongShape, "shape"), (foreign, "does not belong")] {
            XCTAssertThrowsError(try model.loadWeights(file)) { XCTAssert("\($0)".contains(reason), "\($0)") }
            XCTAssertEqual(model.exportWeights(), before)
        }
    }

    /// Training 4 epochs straight equals training 2, checkpointing, restoring into a fresh
    /// network and trainer, and training 2 more: bit for bit.
    func testResumedTrainingMatchesAnUninterruptedRun() throws {
        var rng = SeededGenerator(seed: 4)
        let inputs = Tensor(shape: [90, 6], scalars: (0..<540).map { _ in rng.normal() })
        let data = Dataset(
            inputs: inputs, targets: .classes((0..<90).map { _ in Int32(rng.index(below: 3)) }, count: 3))
        let spec = ModelSpec(
            inputShape: [6],
            layers: [
                .dense(units: 8, activation: .relu, useBias: true), .dropout(rate: 0.3),
                .dense(units: 3, activation: .softmax, useBias: true),
            ])
        for optimizer in [
            OptimizerConfig.sgd(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
            .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
        ] {
            let config = TrainingConfig(
                loss: .crossEntropy, optimizer: optimizer, batchSize: 16, epochs: 4, seed: 3,
                schedule: .cosine)
            let straight = try Network(spec: spec, seed: 7)
            let straightTrainer = try Trainer(network: straight, config: config, training: data, validation: nil)
            var straightHistory: [Double] = []
            while !straightTrainer.isFinished { straightHistory.append(try straightTrainer.runEpoch().loss) }

            let first = try Network(spec: spec, seed: 7)
            let firstTrainer = try Trainer(network: first, config: config, training: data, validation: nil)
            var resumedHistory = [try firstTrainer.runEpoch().loss, try firstTrainer.runEpoch().loss]
            let checkpoint = TrainingCheckpoint.encode(network: first, trainer: firstTrainer)
            let second = try Network(spec: spec, seed: 12345)
            let secondTrainer = try Trainer(network: second, config: config, training: data, validation: nil)
            try TrainingCheckpoint.restore(checkpoint, network: second, trainer: secondTrainer)
            XCTAssertEqual(secondTrainer.progress.epoch, 2)
            while !secondTrainer.isFinished { resumedHistory.append(try secondTrainer.runEpoch().loss) }
            XCTAssertEqual(resumedHistory, straightHistory)
            XCTAssertEqual(second.exportWeights(), straight.exportWeights())
        }
    }
}
