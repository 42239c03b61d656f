import Foundation

/// Keras' token and sequence layers: `Embedding`, `Conv1D`, `MaxPooling1D`,
/// `AveragePooling1D` and the global average pools, channels-last as nnserve computes them.
extension KerasLayerReader {
    /// A 1-D size: Keras writes kernels, strides and pools as one-element lists.
    private func single(_ field: String) throws -> Int? {
        let value: NSNumber
        switch config[field] {
        case nil, is NSNull: return nil
        case let number as NSNumber: value = number
        case let list as [NSNumber] where list.count == 1: value = list[0]
        default: throw fail(field, "'\(field)' must be an integer or a list of one integer")
        }
        guard value.doubleValue >= 1, value.doubleValue <= 1_048_576, value.doubleValue.rounded() == value.doubleValue
        else { throw fail(field, "'\(field)' must be a whole number from 1 to 1048576, got \(value)") }
        return value.intValue
    }

    func translatedSequenceLayer() throws -> [String: Any] {
        switch className {
        case "Embedding":
            try flag("mask_zero", is: false, "nnserve does not mask padded steps")
            return ["type": "embedding", "input_dim": try int("input_dim"), "output_dim": try int("output_dim")]
        case "Conv1D":
            try channelsLast()
            if let dilation = try single("dilation_rate"), dilation != 1 {
                throw fail("dilation_rate", "dilation \(dilation) is not supported; nnserve convolves without dilation")
            }
            if config["groups"] != nil, try int("groups") != 1 {
                throw fail("groups", "grouped convolutions are not supported")
            }
            try flag("use_bias", is: true, "nnserve's conv1d always has a bias")
            try require("padding", ["valid", "same"], "use 'valid' or 'same' ('causal' is not supported)")
            return [
                "type": "conv1d", "filters": try int("filters"), "kernel_size": try single("kernel_size") ?? 0,
                "stride": try single("strides") ?? 1, "padding": config["padding"] as? String ?? "valid",
                "activation": try activation(),
            ]
        case "MaxPooling1D", "AveragePooling1D":
            try channelsLast()
            try require("padding", ["valid"], "nnserve's pools do not pad")
            let pool = try single("pool_size") ?? 2
            return [
                "type": className == "MaxPooling1D" ? "maxpool1d" : "avgpool1d", "pool_size": pool,
                "stride": try single("strides") ?? pool,
            ]
        default:
            try channelsLast()
            try flag("keepdims", is: false, "nnserve's global_avgpool gives [channels]")
            return ["type": "global_avgpool"]
        }
    }
}
