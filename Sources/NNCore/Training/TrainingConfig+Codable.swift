extension TrainingConfig: Codable {
    /// Fields of a job request that belong to the service, not to training; they are
    /// accepted here so that one decoder can reject every other unknown field.
    public static let serviceFields: Set<String> = ["model", "model_id", "dataset", "name", "tags"]

    static let fields: Set<String> = [
        "loss", "optimizer", "batch_size", "epochs", "shuffle", "seed", "validation",
        "gradient_clip", "early_stopping", "lr_schedule", "checkpoint_every", "augmentation",
        "checkpoints",
    ]

    public init(from decoder: Decoder) throws {
        let f = try decoder.container(keyedBy: AnyKey.self)
        try f.rejectUnknownFields(allowed: Self.fields.union(Self.serviceFields), context: "a training job")
        let lossName = try f.required(String.self, "loss", context: "a training job")
        guard let loss = LossFunction(rawValue: lossName) else {
            throw SpecError(path: "loss", "unknown loss '\(lossName)'; use cross_entropy, binary_cross_entropy or mse")
        }
        let optimizer = try f.required(OptimizerConfig.self, "optimizer", context: "a training job")
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            let value = try f.optional(Int.self, name) ?? fallback
            guard range.contains(value) else {
                throw SpecError(
                    path: name, "'\(name)' must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
            return value
        }
        self.init(
            loss: loss, optimizer: optimizer,
            batchSize: try integer("batch_size", 32, 1...65_536),
            epochs: try integer("epochs", 10, 1...1_000_000),
            shuffle: try f.optional(Bool.self, "shuffle") ?? true,
            seed: UInt64(try integer("seed", 0, 0...Int.max)))
        checkpointEvery = try integer("checkpoint_every", 1, 1...1_000_000)
        augmentation = try f.optional(ImageAugmentation.self, "augmentation")
        checkpoints = try f.optional(CheckpointRetention.self, "checkpoints") ?? CheckpointRetention()
        if let clip = try f.optional(Double.self, "gradient_clip") {
            guard clip.isFinite, clip > 0 else {
                throw SpecError(path: "gradient_clip", "'gradient_clip' must be a positive number, got \(clip)")
            }
            gradientClip = clip
        }
        if try f.present("validation") {
            let v = try f.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("validation"))
            do {
                try v.rejectUnknownFields(allowed: ["split", "dataset"], context: "validation")
                validationSplit = try v.optional(Double.self, "split")
                validationDataset = try v.optional(String.self, "dataset")
            } catch let error as SpecError { throw error.prefixed("validation") }
            if let split = validationSplit, !(split > 0 && split < 1) {
                throw SpecError(path: "validation.split", "'split' must be between 0 and 1 (exclusive), got \(split)")
            }
            if (validationSplit == nil) == (validationDataset == nil) {
                throw SpecError(
                    path: "validation", "give exactly one of {\"split\": fraction} or {\"dataset\": \"ds_…\"}")
            }
        }
        if try f.present("early_stopping") {
            let e = try f.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("early_stopping"))
            do {
                try e.rejectUnknownFields(
                    allowed: ["monitor", "patience", "min_delta", "restore_best"], context: "early_stopping")
                let stopping = EarlyStopping(
                    monitor: try e.optional(String.self, "monitor") ?? "val_loss",
                    patience: try e.optional(Int.self, "patience") ?? 5,
                    minDelta: try e.optional(Double.self, "min_delta") ?? 0,
                    restoreBest: try e.optional(Bool.self, "restore_best") ?? true)
                guard ["val_loss", "loss", "val_accuracy", "accuracy"].contains(stopping.monitor) else {
                    throw SpecError(path: "monitor", "'monitor' must be val_loss, loss, val_accuracy or accuracy")
                }
                guard stopping.patience >= 0 else { throw SpecError(path: "patience", "'patience' must be 0 or more") }
                guard stopping.minDelta >= 0, stopping.minDelta.isFinite else {
                    throw SpecError(path: "min_delta", "'min_delta' must be 0 or more")
                }
                earlyStopping = stopping
            } catch let error as SpecError { throw error.prefixed("early_stopping") }
        }
        if try f.present("lr_schedule") {
            let s = try f.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("lr_schedule"))
            do {
                let type = try s.required(String.self, "type", context: "lr_schedule")
                switch type {
                case "step":
                    try s.rejectUnknownFields(allowed: ["type", "step_size", "gamma"], context: "a step schedule")
                    let stepSize = try s.required(Int.self, "step_size", context: "a step schedule")
                    let gamma = try s.optional(Double.self, "gamma") ?? 0.1
                    guard stepSize >= 1 else { throw SpecError(path: "step_size", "'step_size' must be at least 1") }
                    guard gamma > 0, gamma <= 1 else { throw SpecError(path: "gamma", "'gamma' must be in (0, 1]") }
                    schedule = .step(stepSize: stepSize, gamma: gamma)
                case "cosine":
                    try s.rejectUnknownFields(allowed: ["type"], context: "a cosine schedule")
                    schedule = .cosine
                default:
                    throw SpecError(path: "type", "unknown schedule '\(type)'; use 'step' or 'cosine'")
                }
            } catch let error as SpecError { throw error.prefixed("lr_schedule") }
        }
        if let stopping = earlyStopping, stopping.monitor.hasPrefix("val_"), validationSplit == nil,
            validationDataset == nil
        {
            throw SpecError(
                path: "early_stopping.monitor",
                "monitoring '\(stopping.monitor)' needs validation data: add \"validation\": {\"split\": 0.1}")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var f = encoder.container(keyedBy: AnyKey.self)
        try f.encode(loss, forKey: AnyKey("loss"))
        try f.encode(optimizer, forKey: AnyKey("optimizer"))
        try f.encode(batchSize, forKey: AnyKey("batch_size"))
        try f.encode(epochs, forKey: AnyKey("epochs"))
        try f.encode(shuffle, forKey: AnyKey("shuffle"))
        try f.encode(seed, forKey: AnyKey("seed"))
        try f.encode(checkpointEvery, forKey: AnyKey("checkpoint_every"))
        try f.encode(checkpoints, forKey: AnyKey("checkpoints"))
        if let split = validationSplit { try f.encode(["split": split], forKey: AnyKey("validation")) }
        if let dataset = validationDataset { try f.encode(["dataset": dataset], forKey: AnyKey("validation")) }
        if let clip = gradientClip { try f.encode(clip, forKey: AnyKey("gradient_clip")) }
        if let stopping = earlyStopping { try f.encode(stopping, forKey: AnyKey("early_stopping")) }
        if let augmentation { try f.encode(augmentation, forKey: AnyKey("augmentation")) }
        switch schedule {
        case .none: break
        case let .step(stepSize, gamma):
            var s = f.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("lr_schedule"))
            try s.encode("step", forKey: AnyKey("type"))
            try s.encode(stepSize, forKey: AnyKey("step_size"))
            try s.encode(gamma, forKey: AnyKey("gamma"))
        case .cosine:
            try f.encode(["type": "cosine"], forKey: AnyKey("lr_schedule"))
        }
    }
}
