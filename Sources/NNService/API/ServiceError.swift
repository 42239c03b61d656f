import MicroHTTP
import NNCore

/// An error a request can end in. Every error of every module becomes an HTTP response
/// here and nowhere else (`response(for:)`).
public struct ServiceError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var path: String?
    public var retryAfter: Int?

    public init(_ status: Int, _ code: String, _ message: String, path: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(code): \(message)" + (path.map { " (\($0))" } ?? "") }

    static func notFound(_ kind: String, _ id: String) -> ServiceError {
        ServiceError(
            404, "not_found",
            "no \(kind) has the id '\(id)'; list them with GET /v1/\(kind == "job" ? "jobs" : kind + "s")")
    }

    static func badJSON(_ message: String) -> ServiceError {
        ServiceError(400, "malformed_json", "the body is not valid JSON: \(message)")
    }

    static func invalid(_ message: String, path: String?, code: String = "invalid_field") -> ServiceError {
        ServiceError(422, code, message, path: path)
    }

    static func conflict(_ message: String) -> ServiceError {
        ServiceError(409, "conflict", message)
    }

    /// A body of the wrong shape for a typed decoder (an array where an object belongs).
    static func decodingError(_ error: DecodingError) -> ServiceError {
        let context: DecodingError.Context
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .keyNotFound(_, c), let .dataCorrupted(c):
            context = c
        @unknown default: return ServiceError(422, "invalid_body", "the body does not have the documented form")
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        let trimmed = path.hasPrefix(".") ? String(path.dropFirst()) : path
        return ServiceError(
            422, "invalid_type", "this value does not have the documented form: \(context.debugDescription)",
            path: trimmed.isEmpty ? nil : trimmed)
    }

    /// The API's form of an error from any module, or nil for an unknown error (a bug).
    static func mapped(_ error: Error) -> ServiceError? {
        switch error {
        case let error as ServiceError:
            return error
        case let error as SpecError:
            return ServiceError(422, error.code, error.message, path: error.path.isEmpty ? nil : error.path)
        case let error as SafetensorsError:
            return ServiceError(422, "invalid_weights", error.message)
        case let error as JSONParser.Failure:
            return .badJSON(error.message)
        case let error as DecodingError:
            return decodingError(error)
        case let error as StorageError:
            switch error {
            case .notFound(let message): return ServiceError(404, "not_found", message)
            case .conflict(let message): return .conflict(message)
            case .invalidReference(let message, let path, let code): return .invalid(message, path: path, code: code)
            case .unavailable(let message): return ServiceError(503, "busy", message, retryAfter: 1)
            case .failed: return nil
            }
        default:
            return nil
        }
    }

    /// Maps any error to the API's error response; unknown errors are bugs (500, logged).
    public static func response(for error: Error, log: (String) -> Void) -> HTTPResponse {
        let mapped: ServiceError
        if let known = Self.mapped(error) {
            mapped = known
        } else {
            log("internal error: \(error)")
            mapped = ServiceError(
                500, "internal_error", "the server failed to handle this request; the error was logged")
        }
        var headers = HTTPHeaders()
        if let retryAfter = mapped.retryAfter { headers.set("Retry-After", String(retryAfter)) }
        return .error(
            HTTPStatus(code: mapped.status), code: mapped.code, message: mapped.message, path: mapped.path,
            headers: headers)
    }
}
