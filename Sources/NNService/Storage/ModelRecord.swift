import NNCore

/// A stored model: its spec, the loss it was trained with, and whether it has weights.
public struct ModelRecord: Sendable {
    public var id: String
    public var spec: ModelSpec
    public var loss: LossFunction?
    public var hasWeights: Bool
    /// The checkpoint epoch the current weights are those of; nil for uploaded weights or none.
    public var weightsEpoch: Int?
    public var weightsVersion: Int
    public var epochsTrained: Int
    public var training: Bool
    public var createdAt: String
    public var labels = Labels()

    public var status: String { training ? "training" : (hasWeights ? "ready" : "untrained") }

    public struct Description: Encodable {
        var id: String
        var name: String?
        var tags: [String]
        var spec: ModelSpec
        var summary: [ModelSpec.LayerSummary]
        var params: Int
        var status: String
        var loss: String?
        var epochs_trained: Int
        var weights_epoch: Int?
        var created_at: String
        var memory: Memory

        public func encode(to encoder: Encoder) throws {
            // By hand so that `name` is `null` when there is none, as on jobs; the older
            // optional fields keep being left out when absent.
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(id, forKey: "id")
            try c.encode(name, forKey: "name")
            try c.encode(tags, forKey: "tags")
            try c.encode(spec, forKey: "spec")
            try c.encode(summary, forKey: "summary")
            try c.encode(params, forKey: "params")
            try c.encode(status, forKey: "status")
            try c.encodeIfPresent(loss, forKey: "loss")
            try c.encode(epochs_trained, forKey: "epochs_trained")
            try c.encodeIfPresent(weights_epoch, forKey: "weights_epoch")
            try c.encode(created_at, forKey: "created_at")
            try c.encode(memory, forKey: "memory")
        }
    }

    /// Training memory, so that a client can size its batch: fixed_bytes + per_sample_bytes × batch
    /// (fixed_bytes counts Adam's state, the largest an optimizer keeps).
    public struct Memory: Encodable {
        var fixed_bytes: Int
        var per_sample_bytes: Int
    }

    public func description() throws -> Description {
        let summary = try spec.validate()
        let estimate = spec.memoryEstimate(summary: summary)
        return Description(
            id: id, name: labels.name, tags: labels.tags, spec: spec, summary: summary,
            params: summary.reduce(0) { $0 + $1.params },
            status: status, loss: loss?.rawValue, epochs_trained: epochsTrained,
            weights_epoch: weightsEpoch, created_at: createdAt,
            memory: Memory(
                fixed_bytes: Int(min(estimate.fixedBytes, 9e18)),
                per_sample_bytes: Int(min(estimate.perSampleBytes, 9e18))))
    }
}
