// libFuzzer target for the safetensors reader, built by scripts/fuzz-all.sh. Any input must end
// in a file or a thrown error; a file that reads must encode and read back to itself, and loading
// it into a small network must succeed or throw, never trap.
import Foundation
import NNCore

/// libFuzzer calls the target from one thread; the spec is built fresh for each input.
let fuzzSpec = ModelSpec(
    inputShape: [2],
    layers: [.dense(units: 2, activation: .relu, useBias: true), .batchnorm(momentum: 0.9, epsilon: 1e-5)])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafetensorsFile(bytes: bytes) else { return 0 }
    // Compared as bytes: NaN values (which the format allows) are never equal as floats.
    guard let again = try? SafetensorsFile(bytes: file.encoded()), again.encoded() == file.encoded() else {
        fatalError("a file that reads does not read back after encoding")
    }
    _ = try? Network(spec: fuzzSpec, seed: 0).loadWeights(file)
    return 0
}
