import NNCore

/// A stored training job.
public struct JobRecord: Sendable {
    public var id: String
    public var modelID: String
    public var datasetID: String
    public var validationDatasetID: String?
    public var config: TrainingConfig
    public var status: JobStatus
    public var epoch: Int
    public var baseEpoch: Int
    public var latest: EpochMetrics?
    public var error: JobError?
    public var stoppedEarly: Bool
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    /// Times the job has started running (a resume after a stop or a crash starts it again).
    public var attempts = 0
    /// Times the server process died while the job was running.
    public var crashes = 0
    public var labels = Labels()
    /// What ended a cancelled job other than a client: `asha` when its sweep's early
    /// termination stopped it at a rung.
    public var stoppedBy: String?

    public struct JobError: Codable, Equatable, Sendable {
        public var code: String
        public var message: String
    }

    struct Latest: Encodable, Sendable {
        var loss: Double?
        var val_loss: Double?
        var accuracy: Double?
        var val_accuracy: Double?
    }

    public struct Description: Encodable, Sendable {
        var id: String
        var name: String?
        var tags: [String]
        var model_id: String
        var dataset: String
        var status: JobStatus
        var epoch: Int
        var epochs: Int
        var progress: Double
        var latest: Latest
        var error: JobError?
        var stopped_early: Bool
        var stopped_by: String?
        var created_at: String
        var started_at: String?
        var finished_at: String?
        var attempts: Int
        var config: TrainingConfig

        public func encode(to encoder: Encoder) throws {
            // Written by hand so that absent values are `null`, not missing keys.
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            try c.encode(id, forKey: "id")
            try c.encode(name, forKey: "name")
            try c.encode(tags, forKey: "tags")
            try c.encode(model_id, forKey: "model_id")
            try c.encode(dataset, forKey: "dataset")
            try c.encode(status, forKey: "status")
            try c.encode(epoch, forKey: "epoch")
            try c.encode(epochs, forKey: "epochs")
            try c.encode(progress, forKey: "progress")
            var l = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: "latest")
            try l.encode(latest.loss, forKey: "loss")
            try l.encode(latest.val_loss, forKey: "val_loss")
            try l.encode(latest.accuracy, forKey: "accuracy")
            try l.encode(latest.val_accuracy, forKey: "val_accuracy")
            try c.encode(error, forKey: "error")
            try c.encode(stopped_early, forKey: "stopped_early")
            try c.encode(stopped_by, forKey: "stopped_by")
            try c.encode(created_at, forKey: "created_at")
            try c.encode(started_at, forKey: "started_at")
            try c.encode(finished_at, forKey: "finished_at")
            try c.encode(attempts, forKey: "attempts")
            try c.encode(config, forKey: "config")
        }
    }

    public var description: Description {
        Description(
            id: id, name: labels.name, tags: labels.tags, model_id: modelID, dataset: datasetID, status: status,
            epoch: epoch, epochs: config.epochs,
            progress: status == .succeeded ? 1 : Double(epoch) / Double(max(config.epochs, 1)),
            latest: Latest(
                loss: latest?.loss, val_loss: latest?.valLoss, accuracy: latest?.accuracy,
                val_accuracy: latest?.valAccuracy),
            error: error, stopped_early: stoppedEarly, stopped_by: stoppedBy, created_at: createdAt,
            started_at: startedAt,
            finished_at: finishedAt, attempts: attempts, config: config)
    }
}

/// A coding key from a string literal, for hand-written encoders.
struct AnyCodingKey: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringLiteral value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedEncodingContainer where Key == AnyCodingKey {
    /// Encodes nil as JSON null (the synthesised encoders leave the key out).
    mutating func encode<T: Encodable>(_ value: T?, forKey key: AnyCodingKey) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
