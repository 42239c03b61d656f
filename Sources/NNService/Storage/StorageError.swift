/// The one error type of `ServiceStorage`. Each case says what a client can do about it;
/// `ServiceError.response(for:)` turns it into HTTP (and nothing else does).
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The row named does not exist (404). The message names it and where to list its kind.
    case notFound(String)
    /// The change conflicts with the row's state, such as a job still using it (409).
    case conflict(String)
    /// The request names another row that does not exist (422), at `path`, with `code`.
    case invalidReference(String, path: String, code: String)
    /// The store cannot answer now (busy, connection lost); the client may retry (503).
    case unavailable(String)
    /// Anything else the store failed at: a bug or a damaged store (500, logged).
    case failed(String)

    /// `notFound` in the API's words: "no job has the id 'x'; list them with GET /v1/jobs".
    public static func missing(_ kind: String, _ id: String) -> StorageError {
        .notFound("no \(kind) has the id '\(id)'; list them with GET /v1/\(kind == "job" ? "jobs" : kind + "s")")
    }

    public var description: String {
        switch self {
        case .notFound(let message): "not found: \(message)"
        case .conflict(let message): "conflict: \(message)"
        case .invalidReference(let message, let path, _): "invalid reference at \(path): \(message)"
        case .unavailable(let message): "unavailable: \(message)"
        case .failed(let message): "storage failure: \(message)"
        }
    }
}
