// libFuzzer target for the model spec and job decoders, built by scripts/fuzz-all.sh. Any input
// must decode or throw; a spec that validates must give a finite memory estimate, and one whose
// estimate is small is built into a network that answers a prediction of its own output shape.
import Foundation
import NNCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelSpec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    _ = try? JSONDecoder().decode(TrainingConfig.self, from: bytes)
    guard let spec = try? JSONDecoder().decode(ModelSpec.self, from: bytes),
        let summary = try? spec.validate()
    else { return 0 }
    let estimate = spec.memoryEstimate(summary: summary)
    guard estimate.training(batchSize: 1).isFinite, estimate.prediction(rows: 1).isFinite else {
        fatalError("a non-finite memory estimate")
    }
    guard estimate.training(batchSize: 2) < 32 * 1_048_576 else { return 0 }
    guard let network = try? Network(spec: spec, seed: 0) else { fatalError("a validated spec did not build") }
    let input = Tensor(zeros: [1] + spec.inputShape)
    let output = network.predict(input, loss: nil)
    guard Array(output.shape.dropFirst()) == summary.last!.outputShape else {
        fatalError("output \(output.shape) but the summary says \(summary.last!.outputShape)")
    }
    return 0
}
