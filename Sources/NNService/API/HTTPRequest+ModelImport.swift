import Foundation
import MicroHTTP
import NNCore

/// The three bodies `POST /v1/models` accepts: an nnserve spec (JSON), a Keras
/// `model.to_json()` document (JSON with `class_name`) and a self-describing safetensors file.
extension HTTPRequest {
    /// Whether the body is declared as raw bytes (a safetensors file).
    var isOctetStream: Bool {
        (headers["Content-Type"] ?? "").lowercased().hasPrefix("application/octet-stream")
    }

    /// The body as a Keras document, or nil when it is some other JSON object (after the
    /// strict parse, so malformed JSON is a 400 either way).
    func kerasDocument() throws -> [String: Any]? {
        _ = try jsonBody()
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            KerasImport.isKerasDocument(object)
        else { return nil }
        return object
    }
}
