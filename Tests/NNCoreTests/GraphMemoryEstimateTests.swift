import NNCore
import XCTest

/// The memory estimate counts what a graph keeps alive: an output read again later (a skip
/// connection) stays in memory while the layers between run, and the gradient of an output
/// with several readers is kept until all of them have added to it.
final class GraphMemoryEstimateTests: XCTestCase {
    private func spec(_ json: String) throws -> ModelSpec { try GraphSpecTests.spec(json) }

    func testSkipConnectionKeepsItsSourceAliveInInference() throws {
        let skip = try spec(
            #"""
            {"input_shape": [100], "layers": [
              {"type": "dense", "units": 10}, {"type": "dense", "units": 100},
              {"type": "add", "inputs": ["1", "input"]}]}
            """#)
        let estimate = skip.memoryEstimate(summary: try skip.validate())
        // While the add runs: the input (read since layer 0), layer 1's output and the sum: 300
        // values; plus the request's rows (10 bytes a value) and answer (12 bytes a value).
        XCTAssertEqual(estimate.inferencePerSampleBytes, Double(4 * 300 + 10 * 100 + 12 * 100))
        let layers: [LayerSpec] = [skip.layers[0], skip.layers[1], .activation(.linear)]
        let chain = ModelSpec(inputShape: [100], layers: layers)
        // The chain holds two consecutive outputs at most: 200 values.
        let chainBytes = chain.memoryEstimate(summary: try chain.validate()).inferencePerSampleBytes
        XCTAssertEqual(chainBytes, Double(4 * 200 + 2200))
    }

    func testBranchPointKeepsItsGradientWhileTraining() throws {
        let branches = try spec(
            #"""
            {"input_shape": [100], "layers": [
              {"name": "stem", "type": "dense", "units": 10},
              {"name": "a", "type": "dense", "units": 10},
              {"name": "b", "type": "dense", "units": 10, "inputs": ["stem"]},
              {"type": "add", "inputs": ["a", "b"]}]}
            """#)
        let estimate = branches.memoryEstimate(summary: try branches.validate(), optimizerSlots: 0)
        // 2 × input, the four outputs, the two largest output gradients, the largest of the
        // input and the outputs, the gradient of `stem` that both branches add to, and that of
        // `a`, which waits while branch `b` runs backward.
        XCTAssertEqual(estimate.perSampleBytes, Double(4 * (200 + 40 + 20 + 100 + 10 + 10)))
    }
}
