import Foundation

/// One layer of a Keras document, translated to an nnserve layer object.
struct KerasLayerReader {
    let layer: [String: Any]
    let path: String
    var className: String { layer["class_name"] as? String ?? "" }
    var config: [String: Any] { layer["config"] as? [String: Any] ?? [:] }
    private var name: String { config["name"] as? String ?? path }

    static let supported = [
        "InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout",
        "BatchNormalization", "Activation", "SimpleRNN", "LSTM", "Embedding", "Conv1D", "MaxPooling1D",
        "AveragePooling1D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    ]

    /// `batch_shape` (Keras 3), `batch_input_shape` (Keras 2) or the build input shape,
    /// without the batch axis.
    func declaredInputShape() -> [Int]? {
        let build = (layer["build_config"] as? [String: Any])?["input_shape"]
        for candidate in [config["batch_shape"], config["batch_input_shape"], build] {
            if let shape = candidate as? [Any], shape.count >= 2 {
                let dims = shape.dropFirst().compactMap { ($0 as? NSNumber)?.intValue }
                if dims.count == shape.count - 1 { return dims }
            }
        }
        return nil
    }

    func fail(_ field: String, _ message: String) -> SpecError {
        SpecError(
            code: "unsupported_keras", path: "\(path).config.\(field)",
            "layer '\(name)' (\(className)): \(message)")
    }

    func int(_ field: String) throws -> Int {
        guard let value = config[field] as? NSNumber, abs(value.doubleValue) <= 1e12,
            Double(value.intValue) == value.doubleValue
        else {
            throw fail(field, "'\(field)' must be an integer")
        }
        return value.intValue
    }

    func pair(_ field: String) throws -> [Int]? {
        let values: [NSNumber]
        switch config[field] {
        case nil, is NSNull: return nil
        case let value as NSNumber: values = [value, value]
        case let list as [NSNumber] where list.count == 2: values = list
        default: throw fail(field, "'\(field)' must be an integer or a pair of integers")
        }
        // Whole numbers from 1 to 2^16 (what nnserve allows), checked before any conversion to Int.
        guard
            values.allSatisfy({
                $0.doubleValue >= 1 && $0.doubleValue <= 65536 && $0.doubleValue.rounded() == $0.doubleValue
            })
        else { throw fail(field, "'\(field)' must hold whole numbers from 1 to 65536, got \(values)") }
        return values.map(\.intValue)
    }

    /// A field that must hold one value (or be absent) for nnserve to compute the same thing.
    func require(_ field: String, _ allowed: [String], _ why: String) throws {
        guard let value = config[field], !(value is NSNull) else { return }
        let text = (value as? String) ?? "\(value)"
        guard allowed.contains(text) else { throw fail(field, "\(field) '\(text)' is not supported; \(why)") }
    }

    func flag(_ field: String, is expected: Bool, _ why: String) throws {
        guard let value = config[field] as? Bool, value != expected else { return }
        throw fail(field, "\(field) = \(value) is not supported; \(why)")
    }

    func activation(_ field: String = "activation") throws -> String {
        let value = config[field] as? String ?? "linear"
        guard ["linear", "relu", "sigmoid", "tanh", "softmax"].contains(value) else {
            throw fail(field, "activation '\(value)' is not one of linear, relu, sigmoid, tanh, softmax")
        }
        return value
    }

    func channelsLast() throws {
        try require("data_format", ["channels_last"], "nnserve's images are channels-last [height, width, channels]")
    }

    func translated() throws -> [String: Any] {
        switch className {
        case "Dense":
            return [
                "type": "dense", "units": try int("units"), "activation": try activation(),
                "use_bias": config["use_bias"] as? Bool ?? true,
            ]
        case "Conv2D":
            try channelsLast()
            if let dilation = try pair("dilation_rate"), dilation != [1, 1] {
                throw fail("dilation_rate", "dilation \(dilation) is not supported; nnserve convolves without dilation")
            }
            if config["groups"] != nil, try int("groups") != 1 {
                throw fail("groups", "grouped convolutions are not supported")
            }
            try flag("use_bias", is: true, "nnserve's conv2d always has a bias")
            try require("padding", ["valid", "same"], "use 'valid' or 'same'")
            var object: [String: Any] = [
                "type": "conv2d", "filters": try int("filters"), "padding": config["padding"] as? String ?? "valid",
                "activation": try activation(),
            ]
            object["kernel_size"] = try pair("kernel_size") ?? []
            object["stride"] = try pair("strides") ?? [1, 1]
            return object
        case "MaxPooling2D", "AveragePooling2D":
            try channelsLast()
            try require("padding", ["valid"], "nnserve's pools do not pad")
            let pool = try pair("pool_size") ?? [2, 2]
            return [
                "type": className == "MaxPooling2D" ? "maxpool2d" : "avgpool2d", "pool_size": pool,
                "stride": try pair("strides") ?? pool,
            ]
        case "Flatten":
            try channelsLast()
            return ["type": "flatten"]
        case "Dropout":
            guard let rate = config["rate"] as? NSNumber else { throw fail("rate", "'rate' must be a number") }
            return ["type": "dropout", "rate": rate.doubleValue]
        case "BatchNormalization":
            let axis =
                (config["axis"] as? NSNumber).map { [$0.intValue] } ?? (config["axis"] as? [NSNumber])?.map(\.intValue)
            guard axis == nil || axis == [-1] else {
                throw fail("axis", "axis \(axis!) is not supported; nnserve normalises over the last axis (-1)")
            }
            try flag("center", is: true, "nnserve's batch norm always has beta")
            try flag("scale", is: true, "nnserve's batch norm always has gamma")
            try flag("renorm", is: false, "batch renormalisation is not supported")
            return [
                "type": "batchnorm", "momentum": (config["momentum"] as? NSNumber)?.doubleValue ?? 0.99,
                "epsilon": (config["epsilon"] as? NSNumber)?.doubleValue ?? 0.001,
            ]
        case "Activation":
            return ["type": "activation", "function": try activation()]
        case "SimpleRNN", "LSTM":
            for field in ["go_backwards", "stateful", "return_state"] {
                try flag(field, is: false, "nnserve runs recurrent layers forwards and statelessly")
            }
            try flag("use_bias", is: true, "nnserve's recurrent layers always have biases")
            var object: [String: Any] = [
                "type": className == "LSTM" ? "lstm" : "rnn", "units": try int("units"),
                "return_sequences": config["return_sequences"] as? Bool ?? false,
            ]
            if className == "LSTM" {
                try require("activation", ["tanh"], "nnserve's LSTM uses tanh")
                try require("recurrent_activation", ["sigmoid"], "nnserve's LSTM gates use sigmoid")
            } else {
                let function = try activation()
                guard ["tanh", "relu"].contains(function) else {
                    throw fail("activation", "a SimpleRNN's activation must be tanh or relu, not '\(function)'")
                }
                object["activation"] = function
            }
            return object
        case "Embedding", "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D",
            "GlobalAveragePooling2D":
            return try translatedSequenceLayer()
        default:
            throw SpecError(
                code: "unsupported_keras", path: "\(path).class_name",
                "layer '\(name)' has class \(className.isEmpty ? "(none)" : className), which nnserve cannot import; "
                    + "supported: \(Self.supported.joined(separator: ", "))")
        }
    }
}
