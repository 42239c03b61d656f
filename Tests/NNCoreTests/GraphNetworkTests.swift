import Foundation
import NNCore
import XCTest

/// Graph networks: gradients by finite differences through add, concatenate and branches
/// (a branch point's gradient is the sum over its readers), the same results on 1 and 2
/// threads, predict (fused per chain) equal to forward, and weights named by layer names.
final class GraphNetworkTests: XCTestCase {
    private func spec(_ json: String) throws -> ModelSpec { try GraphSpecTests.spec(json) }

    func testAddGradients() throws {
        let spec = try spec(
            #"""
            {"input_shape": [5], "layers": [
              {"name": "a", "type": "dense", "units": 4, "activation": "tanh"},
              {"name": "b", "type": "dense", "units": 4, "inputs": ["input"]},
              {"type": "add", "inputs": ["a", "b", "a"]},
              {"type": "dense", "units": 3}]}
            """#)
        XCTAssertGreaterThan(try GradientCheck.check(spec, batch: 3), 40)
    }

    func testConcatenateGradientsOnEveryAxis() throws {
        for axis in [-1, 0, 1, 2] {
            let spec = try spec(
                #"""
                {"input_shape": [4, 4, 2], "layers": [
                  {"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "activation": "sigmoid"},
                  {"name": "t", "type": "activation", "function": "tanh", "inputs": ["input"]},
                  {"type": "concatenate", "axis": \#(axis), "inputs": ["t", "c", "input"]},
                  {"type": "flatten"}, {"type": "dense", "units": 3}]}
                """#)
            XCTAssertGreaterThan(try GradientCheck.check(spec, batch: 2), 40, "axis \(axis)")
        }
    }

    /// The input feeds three layers, `stem` feeds a chain, a shortcut and a concatenation, and
    /// the output is a merge (no layer after it).
    static let branching = #"""
        {"input_shape": [6, 6, 2], "layers": [
          {"name": "stem", "type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
          {"name": "c1", "type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same"},
          {"name": "bn", "type": "batchnorm"},
          {"name": "r", "type": "activation", "function": "tanh"},
          {"name": "res", "type": "add", "inputs": ["r", "stem"]},
          {"name": "side", "type": "conv2d", "filters": 2, "kernel_size": 1, "inputs": ["input"]},
          {"name": "cat", "type": "concatenate", "inputs": ["res", "side", "stem", "input"]},
          {"name": "pool", "type": "avgpool2d", "pool_size": 2},
          {"type": "flatten"},
          {"name": "h1", "type": "dense", "units": 4},
          {"name": "h2", "type": "dense", "units": 4, "inputs": ["8"], "activation": "sigmoid"},
          {"name": "out", "type": "add", "inputs": ["h1", "h2"]}]}
        """#

    func testBranchingGraphGradients() throws {
        XCTAssertGreaterThan(try GradientCheck.check(try spec(Self.branching), batch: 3), 80)
    }

    func testGraphIsThreadInvariant() throws {
        try GradientCheck.assertThreadInvariant(try spec(Self.branching), batch: 5)
    }

    func testPredictMatchesForwardInInferenceMode() throws {
        let spec = try spec(
            Self.branching.replacingOccurrences(of: #""activation": "tanh"}"#, with: #""activation": "relu"}"#))
        let network = try Network(spec: spec, seed: 4)
        var rng = SeededGenerator(seed: 9)
        let batch = GradientCheck.normalTensor([7, 6, 6, 2], &rng)
        var context = PassContext(training: true)
        _ = network.forward(batch, &context)  // moves the running statistics off their start
        for parameter in network.namedParameters where parameter.name.hasPrefix("layers.bn.running") {
            for i in 0..<parameter.parameter.value.count { parameter.parameter.value.scalars[i] += 0.1 * Float(i + 1) }
        }
        var inference = PassContext(training: false)
        let expected = network.forward(batch, &inference)
        for threads in [1, 2] {
            let predicted = network.predict(batch, loss: nil, threads: threads)
            XCTAssertEqual(predicted.shape, expected.shape)
            let worst = zip(predicted.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThan(worst, 1e-5, "threads \(threads)")
        }
        let probabilities = network.predict(batch, loss: .crossEntropy)
        XCTAssertEqual(probabilities.scalars[0..<4].reduce(0, +), 1, accuracy: 1e-5)
    }

    /// The ONNX graph follows the wiring: an Add per summed pair, a Concat over all its inputs
    /// on the channels-last axis, weights under the layer names.
    func testONNXExportWiresAddAndConcat() throws {
        let network = try Network(spec: try spec(Self.branching), seed: 0)
        let graph = try ONNXExport.graph(of: network, loss: .crossEntropy)
        let adds = graph.nodes.filter { $0.op == "Add" && !$0.inputs[1].hasSuffix(".shift") }
        XCTAssertEqual(adds.count, 2, "res and out")
        let concat = try XCTUnwrap(graph.nodes.first { $0.op == "Concat" })
        XCTAssertEqual(concat.inputs.count, 4)
        XCTAssertEqual(concat.inputs[3], "input")
        guard case .int("axis", -1) = concat.attributes.first else { return XCTFail("\(concat.attributes)") }
        XCTAssert(graph.initializers.contains { $0.name == "layers.stem.weight" })
        XCTAssert(graph.initializers.contains { $0.name == "layers.h2.bias" })
    }

    /// A model of merges alone: no layer with parameters, the input read several times.
    func testModelOfMergesAlone() throws {
        let spec = try spec(
            #"""
            {"input_shape": [2, 3], "layers": [
              {"name": "twice", "type": "add", "inputs": ["input", "input"]},
              {"type": "concatenate", "axis": 0, "inputs": ["twice", "input"]}]}
            """#)
        let network = try Network(spec: spec, seed: 0)
        XCTAssertEqual(network.parameterCount, 0)
        let x = Tensor(shape: [1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let y = network.predict(x, loss: nil)
        XCTAssertEqual(y.shape, [1, 4, 3])
        XCTAssertEqual(y.scalars, [2, 4, 6, 8, 10, 12, 1, 2, 3, 4, 5, 6])
        network.computesInputGradient = true
        var context = PassContext(training: true)
        XCTAssertEqual(network.forward(x, &context), y)
        let dx = network.backward(Tensor(repeating: 1, shape: [1, 4, 3]), &context)
        XCTAssertEqual(dx?.scalars, Array(repeating: 3, count: 6), "2 from the add, 1 from the concatenation")
    }

    func testWeightsRoundTripUnderLayerNames() throws {
        let spec = try spec(Self.branching)
        let trained = try Network(spec: spec, seed: 1)
        let file = trained.exportWeights()
        let names = file.tensors.map(\.name) + file.integerTensors.map(\.name)
        XCTAssert(names.contains("layers.stem.weight"))
        XCTAssert(names.contains("layers.bn.num_batches_tracked"))
        XCTAssert(names.contains("layers.out.bias") == false, "a merge has no parameters")
        let fresh = try Network(spec: spec, seed: 2)
        try fresh.loadWeights(try SafetensorsFile(bytes: file.encoded()))
        XCTAssertEqual(fresh.namedParameters.map(\.parameter.value), trained.namedParameters.map(\.parameter.value))
        var renamed = file
        renamed.tensors[0].name = "layers.0.weight"
        XCTAssertThrowsError(try fresh.loadWeights(renamed)) { error in
            XCTAssert("\(error)".contains("layers.stem.weight"), "\(error)")
        }
    }

    /// A graph trains with the ordinary trainer and resumes from a checkpoint bit for bit.
    func testGraphTrainsAndResumesExactly() throws {
        let spec = try spec(Self.branching)
        var rng = SeededGenerator(seed: 3)
        let inputs = GradientCheck.normalTensor([40, 6, 6, 2], &rng)
        let labels = (0..<40).map { Int32(inputs.scalars[$0 * 72] > 0 ? 1 : 0) * 3 }
        let data = Dataset(inputs: inputs, targets: .classes(labels, count: 4))
        let config = TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            batchSize: 8, epochs: 4, seed: 7)
        let straight = try Trainer(
            network: try Network(spec: spec, seed: 0), config: config, training: data, validation: nil)
        var losses: [Double] = []
        for _ in 0..<4 { losses.append(try straight.runEpoch().loss) }
        XCTAssertLessThan(losses[3], losses[0])

        let first = try Trainer(
            network: try Network(spec: spec, seed: 0), config: config, training: data, validation: nil)
        for _ in 0..<2 { _ = try first.runEpoch() }
        let checkpoint = TrainingCheckpoint.encode(network: first.network, trainer: first)
        let resumedNetwork = try Network(spec: spec, seed: 99)
        let resumed = try Trainer(network: resumedNetwork, config: config, training: data, validation: nil, threads: 2)
        try TrainingCheckpoint.restore(checkpoint, network: resumedNetwork, trainer: resumed)
        for epoch in 2..<4 { XCTAssertEqual(try resumed.runEpoch().loss, losses[epoch], "epoch \(epoch + 1)") }
        XCTAssertEqual(
            resumedNetwork.namedParameters.map(\.parameter.value),
            straight.network.namedParameters.map(\.parameter.value))
    }
}
