// libFuzzer target for the CSV data set reader, built by scripts/fuzz-all.sh. The first line of
// the input is the query string (name=…&target=…&input_shape=…&drop=…&task=…), the rest the body.
// Any input must end in a data set or a thrown error; a data set's values must fit its shape; the
// body fed in pieces (split where the input's own bytes say) must end the same way.
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
    guard let parsed = try? DatasetQuery({ query[$0] }) else { return 0 }
    let whole = Result { try CSVDatasetParser.parse(body, query: parsed) }
    let pieces = Result { () throws -> DatasetUpload in
        var parser = CSVDatasetParser(query: parsed, expectedBytes: body.count)
        var offset = 0
        var index = 0
        try body.withUnsafeBytes { raw in
            while offset < raw.count {
                let size = min(raw.count - offset, Int(body[index % body.count] & 15) + 1)
                try parser.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                offset += size
                index += 7
            }
        }
        return try parser.finish()
    }
    switch (whole, pieces) {
    case (.success(let a), .success(let b)):
        guard a.inputs == b.inputs, a.targets == b.targets, a.inputShape == b.inputShape, a.target == b.target
        else { fatalError("fed in pieces, the reader reads another data set") }
    case (.failure(let a), .failure(let b)):
        // Set iteration order may name another of several unknown drop columns.
        guard "\(a)" == "\(b)" || (a as? ServiceError)?.path == "drop" else {
            fatalError("fed in pieces, the reader fails otherwise: \(a) vs \(b)")
        }
    default:
        fatalError("fed in pieces, the reader decides otherwise: \(whole) vs \(pieces)")
    }
    guard let upload = try? whole.get() else { return 0 }
    let width = upload.inputShape.reduce(1, *)
    guard upload.rows >= 1, upload.inputs.count == upload.rows * width, upload.targets.count == upload.rows else {
        fatalError("\(upload.inputs.count) inputs, \(upload.targets.count) targets for \(upload.rows) rows")
    }
    guard upload.inputs.allSatisfy(\.isFinite) else { fatalError("a non-finite value was stored") }
    return 0
}
