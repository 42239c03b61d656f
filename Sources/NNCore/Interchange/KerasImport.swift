import Foundation

/// Reads a Keras `model.to_json()` document (keras.io/api/models/model_saving_apis/
/// model_config_serialization) as a model spec: a `Sequential` whose layers are InputLayer,
/// Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization,
/// Activation, SimpleRNN or LSTM, on channels-last data. Keras' batch-norm momentum is
/// nnserve's (both keep running = m·running + (1 − m)·batch). Anything nnserve cannot
/// compute the same way is an error whose path points into the Keras document
/// (`config.layers[3].config.dilation_rate`).
public enum KerasImport {
    /// Whether a JSON object is a Keras model document rather than an nnserve spec.
    public static func isKerasDocument(_ object: [String: Any]) -> Bool {
        object["class_name"] != nil && object["layers"] == nil
    }

    public static func spec(from object: [String: Any]) throws -> ModelSpec {
        guard let className = object["class_name"] as? String, className == "Sequential" else {
            throw SpecError(
                path: "class_name",
                "only a Keras Sequential model can be imported, this is \(object["class_name"] ?? "unnamed")")
        }
        guard let config = object["config"] as? [String: Any], let layers = config["layers"] as? [[String: Any]]
        else {
            throw SpecError(code: "missing_field", path: "config.layers", "a Sequential model lists its layers here")
        }
        var inputShape: [Int]?
        var ours: [[String: Any]] = []
        var origin: [Int] = []
        for (index, layer) in layers.enumerated() {
            let path = "config.layers[\(index)]"
            let reader = KerasLayerReader(layer: layer, path: path)
            if inputShape == nil { inputShape = reader.declaredInputShape() }
            if reader.className == "InputLayer" { continue }
            ours.append(try reader.translated())
            origin.append(index)
        }
        guard let inputShape else {
            throw SpecError(
                code: "missing_field", path: "config.layers[0]",
                "the model declares no input shape; start it with keras.Input(shape=...)")
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: ["input_shape": inputShape, "layers": ours])
            let spec = try JSONDecoder().decode(ModelSpec.self, from: data)
            _ = try spec.validate()
            return spec
        } catch let error as SpecError {
            throw keras(error, origin: origin)
        }
    }

    /// An error about the translated spec, pointed back at the Keras layer it came from.
    private static func keras(_ error: SpecError, origin: [Int]) -> SpecError {
        guard error.path.hasPrefix("layers["), let close = error.path.firstIndex(of: "]"),
            let index = Int(error.path[error.path.index(error.path.startIndex, offsetBy: 7)..<close]),
            origin.indices.contains(index)
        else { return error }
        var copy = error
        copy.path = "config.layers[\(origin[index])].config" + error.path[error.path.index(after: close)...]
        return copy
    }
}
