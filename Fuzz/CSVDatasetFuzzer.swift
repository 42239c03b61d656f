// libFuzzer target for the CSV data set reader, built by scripts/fuzz-all.sh. The first line of
// the input is the query string (name=…&target=…&input_shape=…&drop=…&task=…), the rest the body.
// Any input must end in a data set or a thrown error; a data set's values must fit its shape.
import Foundation

@testable import NNService

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVDataset(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let queryText = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.count)...])
    var query: [String: String] = [:]
    for pair in queryText.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    guard let parsed = try? DatasetQuery({ query[$0] }),
        let upload = try? CSVDatasetParser.parse(body, query: parsed)
    else { return 0 }
    let width = upload.inputShape.reduce(1, *)
    guard upload.rows >= 1, upload.inputs.count == upload.rows * width, upload.targets.count == upload.rows else {
        fatalError("\(upload.inputs.count) inputs, \(upload.targets.count) targets for \(upload.rows) rows")
    }
    guard upload.inputs.allSatisfy(\.isFinite) else { fatalError("a non-finite value was stored") }
    return 0
}
