// libFuzzer target for the JSON parser and the JSON data set reader, built by scripts/fuzz-all.sh
// against the service's modules. Any input must end in a value or a thrown error, never a trap;
// a parsed document must parse the same way twice, and a data set read from it must have as
// many values as its rows × input_shape say.
import Foundation

@testable import NNService

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONDataset(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    guard (try? JSONParser.parse(bytes)) == value else { fatalError("two parses of one document differ") }
    if let upload = try? DatasetParser.parseJSON(value, bodyBytes: size) {
        let width = upload.inputShape.reduce(1, *)
        guard upload.rows >= 1, upload.inputs.count == upload.rows * width else {
            fatalError("\(upload.inputs.count) inputs for \(upload.rows) rows of \(upload.inputShape)")
        }
        guard upload.inputs.allSatisfy(\.isFinite), upload.targets.allSatisfy(\.isFinite) else {
            fatalError("a non-finite value was stored")
        }
    }
    return 0
}
