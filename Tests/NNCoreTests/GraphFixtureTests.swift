import Foundation
import NNCore
import XCTest

/// Graph models against PyTorch, from `Fixtures/graph_fixtures.json` (made by
/// `scripts/fixtures/make_graph_fixtures.py`): a sum of branches (one read twice), channel
/// and width concatenations, and a small residual network (projection and identity
/// shortcuts, batch norm, convolutions without bias). PyTorch's parameters are loaded by
/// name; the loss is Σ r ⊙ y. Outputs within 1e-5 and gradients within 1e-4, relative to
/// values above 1.
final class GraphFixtureTests: XCTestCase {
    struct Model: Decodable {
        var name: String, spec: ModelSpec, batch: Int, input: [Float], parameters: [String: [Float]]
        var output: [Float], r: [Float], gradients: [String: [Float]], buffers_after: [String: [Float]]
    }
    struct Fixtures: Decodable { var models: [Model] }

    private static let fixtures: Fixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/graph_fixtures.json")
        return try! JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }()

    private func assertClose(
        _ actual: [Float], _ expected: [Float], within tolerance: Float, _ label: String, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, label, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, "\(label): worst relative difference \(worst)", line: line)
    }

    func testGraphModelsMatchPyTorch() throws {
        XCTAssertEqual(Self.fixtures.models.map(\.name), ["add", "concatenate", "residual"])
        for f in Self.fixtures.models {
            for threads in [1, 2] {
                let network = try Network(spec: f.spec, seed: 0)
                let named = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.name, $0.parameter) })
                XCTAssertEqual(Set(named.keys), Set(f.parameters.keys), f.name)
                for (name, values) in f.parameters {
                    let parameter = try XCTUnwrap(named[name], "\(f.name) \(name)")
                    parameter.value = Tensor(shape: parameter.value.shape, scalars: values)
                }
                XCTAssertEqual(
                    network.parameterCount,
                    f.parameters.filter { !$0.key.contains("running") }.values.map(\.count).reduce(0, +),
                    "\(f.name): parameter count")
                network.computesInputGradient = true
                var context = PassContext(training: true, threads: threads)
                let y = network.forward(Tensor(shape: [f.batch] + f.spec.inputShape, scalars: f.input), &context)
                assertClose(y.scalars, f.output, within: 1e-5, "\(f.name) output")
                network.zeroGradients()
                let dx = network.backward(Tensor(shape: y.shape, scalars: f.r), &context)
                assertClose(try XCTUnwrap(dx).scalars, f.gradients["input"]!, within: 1e-4, "\(f.name) input gradient")
                for (name, expected) in f.gradients where name != "input" {
                    assertClose(
                        try XCTUnwrap(named[name]).gradient.scalars, expected, within: 1e-4, "\(f.name) \(name)")
                }
                for (name, expected) in f.buffers_after {
                    assertClose(try XCTUnwrap(named[name]).value.scalars, expected, within: 1e-5, "\(f.name) \(name)")
                }
            }
        }
    }
}
