// libFuzzer target for the JSON parser and the JSON data set readers, built by scripts/fuzz-all.sh
// against the service's modules. Any input must end in a value or a thrown error, never a trap.
// The one-pass reader of uploads (DatasetBodyParser) is checked against the tree-based reader
// (JSONParser + DatasetParser): whatever the one-pass reader accepts, the tree-based one accepts
// with the same result, and both agree on which inputs are malformed JSON. The body is also fed
// in pieces split where the input's own bytes say: the outcome must not depend on the splits.
import Foundation

@testable import NNService

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONDataset(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let tree: JSONValue?
    do {
        tree = try JSONParser.parse(bytes)
    } catch {
        tree = nil
    }
    if let tree, (try? JSONParser.parse(bytes)) != tree { fatalError("two parses of one document differ") }
    let reference = tree.flatMap { try? DatasetParser.parseJSON($0, bodyBytes: size) }
    let whole = Result { try DatasetBodyParser.parse(bytes) }
    let pieces = Result { () throws -> DatasetUpload in
        var parser = DatasetBodyParser(expectedBytes: size)
        try feedInPieces(bytes) { try parser.feed($0) }
        return try parser.finish()
    }
    switch (whole, pieces) {
    case (.success(let a), .success(let b)):
        guard a.inputs == b.inputs, a.targets == b.targets, a.inputShape == b.inputShape, a.name == b.name,
            a.target == b.target
        else { fatalError("fed in pieces, the reader reads another data set") }
    case (.failure(let a), .failure(let b)):
        guard "\(a)" == "\(b)" else { fatalError("fed in pieces, the reader fails otherwise: \(a) vs \(b)") }
    default:
        fatalError("fed in pieces, the reader decides otherwise: \(whole) vs \(pieces)")
    }
    do {
        let upload = try DatasetBodyParser.parse(bytes)
        guard tree != nil else { fatalError("the one-pass reader accepted malformed JSON") }
        guard let reference else { fatalError("the one-pass reader accepted what the tree-based reader refuses") }
        guard upload.inputs == reference.inputs, upload.targets == reference.targets,
            upload.inputShape == reference.inputShape, upload.name == reference.name, upload.target == reference.target
        else { fatalError("the readers disagree: \(upload.inputShape) vs \(reference.inputShape)") }
        let width = upload.inputShape.reduce(1, *)
        guard upload.rows >= 1, upload.inputs.count == upload.rows * width else {
            fatalError("\(upload.inputs.count) inputs for \(upload.rows) rows of \(upload.inputShape)")
        }
        guard upload.inputs.allSatisfy(\.isFinite), upload.targets.allSatisfy(\.isFinite) else {
            fatalError("a non-finite value was stored")
        }
    } catch is JSONParser.Failure {
        guard tree == nil else { fatalError("the one-pass reader calls valid JSON malformed") }
    } catch let error as ServiceError where error.status == 400 {
        guard tree == nil else { fatalError("the one-pass reader calls valid JSON malformed: \(error)") }
    } catch {
        // A 422: the document is JSON but not an acceptable data set. The one-pass reader may
        // find a data error before a syntax error later in the body, so nothing more is asked.
    }
    return 0
}

/// Feeds `bytes` in pieces whose sizes (1 to 16) come from the bytes themselves, so that libFuzzer
/// explores the splits along with the content.
func feedInPieces(_ bytes: [UInt8], _ feed: (UnsafeRawBufferPointer) throws -> Void) throws {
    var offset = 0
    var index = 0
    try bytes.withUnsafeBytes { raw in
        while offset < raw.count {
            let size = min(raw.count - offset, Int(bytes[index % bytes.count] & 15) + 1)
            try feed(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
            offset += size
            index += 7
        }
    }
}
