import Foundation
import MicroHTTP

/// The body of `POST /v1/datasets` as it arrives: JSON or CSV is parsed straight into the float
/// buffer that is stored, so an upload never sits in memory as text and as floats at once. Errors
/// (a bad query, an unsupported type, the first bad value) stop the parse; the handler throws
/// them once the request is complete, so they become responses where every error does.
///
/// `@unchecked Sendable`: `lock` guards `json`, `csv` and `outcome` (MicroHTTP calls `consume` and
/// `finish` one at a time on work-pool threads; the handler reads the outcome on another).
final class DatasetUploadConsumer: HTTPBodyConsumer, @unchecked Sendable {
    private let lock = NSLock()
    // Optionals mutated in place (`json!.feed`): a parser copied out of an enum payload would
    // share its float buffer with the copy left behind, and the first append would copy it all.
    private var json: DatasetBodyParser?
    private var csv: CSVDatasetParser?
    private var outcome: Result<DatasetUpload, Error>?

    init(_ request: HTTPRequest) {
        do {
            let type = request.headers["Content-Type"]?.lowercased() ?? ""
            let query = try DatasetQuery(request.queryValue)
            // The length bounds the count of numbers, so the float buffer is reserved once; a
            // compressed body's length says nothing about its content.
            let length =
                request.headers["Content-Encoding"] == nil ? request.headers["Content-Length"].flatMap { Int($0) } : nil
            if type.hasPrefix("text/csv") {
                csv = CSVDatasetParser(query: query, expectedBytes: length)
            } else if type.hasPrefix("application/json") {
                json = DatasetBodyParser(expectedBytes: length)
            } else {
                throw ServiceError(
                    415, "unsupported_media_type", "send the data set as application/json or text/csv (got '\(type)')")
            }
        } catch {
            outcome = .failure(error)
        }
    }

    func consume(_ bytes: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard outcome == nil else { return false }
        do {
            if json != nil {
                try json!.feed(bytes)
            } else if csv != nil {
                try csv!.feed(bytes)
            } else {
                return false
            }
        } catch {
            outcome = .failure(error)
            (json, csv) = (nil, nil)
            return false
        }
        return true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard outcome == nil else { return }
        outcome = Result {
            defer { (json, csv) = (nil, nil) }
            if json != nil { return try json!.finish() }
            if csv != nil { return try csv!.finish() }
            throw ServiceError(500, "internal_error", "the upload was not read")
        }
    }

    /// The parsed upload, or the error that ended it. The consumer lets go of the floats, so they
    /// live no longer than the handler needs them.
    func takeUpload() throws -> DatasetUpload {
        lock.lock()
        defer { lock.unlock() }
        let result = outcome ?? .failure(ServiceError(500, "internal_error", "the upload was not finished"))
        outcome = .failure(ServiceError(500, "internal_error", "the upload was already stored"))
        return try result.get()
    }
}
