import Foundation
import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    private static let modelColumns = """
        id, spec, loss, (weights IS NOT NULL OR weights_epoch IS NOT NULL) AS has_weights, weights_epoch,
        weights_version, epochs_trained, created_at,
        EXISTS(SELECT 1 FROM jobs WHERE jobs.model_id = models.id AND status IN ('queued', 'running')) AS training,
        name, tags
        """

    /// The SQL of each of `ListQuery.modelSortFields`.
    static let modelSortExpressions = [
        "created_at": "models.seq", "name": "models.name", "epochs_trained": "models.epochs_trained",
    ]

    func modelRecord(_ row: Row) throws -> ModelRecord {
        let loss: String? = try row.get("loss")
        return ModelRecord(
            id: try row.get("id"), spec: try StoredJSON.decode(ModelSpec.self, try row.get("spec")),
            loss: loss.flatMap(LossFunction.init(rawValue:)), hasWeights: try row.get("has_weights"),
            weightsEpoch: try row.get("weights_epoch"),
            weightsVersion: try row.get("weights_version"), epochsTrained: try row.get("epochs_trained"),
            training: try row.get("training"), createdAt: try row.get("created_at"), labels: try Self.labels(row))
    }

    func insertModel(_ spec: ModelSpec, labels: Labels = Labels(), in db: Connection) throws -> String {
        let id = Identifiers.make("m")
        try db.execute(
            "INSERT INTO models(id, spec, created_at, name, tags) VALUES (?, ?, ?, ?, ?)",
            [id, StoredJSON.encode(spec), Identifiers.now(), labels.name, StoredJSON.encode(labels.tags)])
        return id
    }

    public func createModel(_ spec: ModelSpec, labels: Labels) throws -> ModelRecord {
        _ = try spec.validate()
        let id = try durableTransaction { try insertModel(spec, labels: labels, in: $0) }
        return try model(id)!
    }

    public func model(_ id: String) throws -> ModelRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.modelColumns) FROM models WHERE id = ?", [id]).map(modelRecord)
        }
    }

    /// A page of models with the list query's filters and order.
    public func models(query: ListQuery) throws -> (items: [ModelRecord], next: String?) {
        try listPage(
            .models, columns: Self.modelColumns, query: query, sortExpressions: Self.modelSortExpressions, filter: nil,
            decode: modelRecord, id: \.id)
    }

    /// The model's current weights (a safetensors file), or nil when it has none: its uploaded
    /// weights, or the weights of the checkpoint they refer to.
    public func modelWeights(_ id: String) throws -> (bytes: [UInt8], version: Int)? {
        let found = try read { db -> (stored: Data?, state: Data?, version: Int)? in
            guard
                let row = try db.queryOne(
                    """
                    SELECT models.weights AS weights, models.weights_version AS version, checkpoints.state AS state
                    FROM models LEFT JOIN checkpoints
                      ON checkpoints.model_id = models.id AND checkpoints.epoch = models.weights_epoch
                    WHERE models.id = ?
                    """, [id])
            else { return nil }
            return (try row.get("weights"), try row.get("state"), try row.get("version"))
        }
        guard let found else { return nil }
        if let stored = found.stored { return ([UInt8](stored), found.version) }
        guard let state = found.state else { return nil }
        return (try TrainingCheckpoint.weights(from: [UInt8](state)).encoded(), found.version)
    }

    /// Replaces a model's weights with an uploaded file (checked by the caller); 409 while
    /// a job trains it.
    public func replaceWeights(_ id: String, bytes: [UInt8], loss: LossFunction?) throws {
        try durableTransaction { db in
            guard let row = try db.queryOne("SELECT \(Self.modelColumns) FROM models WHERE id = ?", [id]) else {
                throw StorageError.missing("model", id)
            }
            guard try !modelRecord(row).training else {
                throw StorageError.conflict(
                    "model \(id) is being trained; cancel its job or wait before uploading weights")
            }
            try db.execute(
                """
                UPDATE models SET weights = ?, weights_epoch = NULL, weights_version = weights_version + 1, loss = ?
                WHERE id = ?
                """,
                [Data(bytes), loss?.rawValue, id])
        }
        modelsChanged()
    }

    /// Deletes a model with its jobs, metrics and checkpoints; 409 while a job trains it.
    public func deleteModel(_ id: String) throws {
        try durableTransaction { db in
            guard let row = try db.queryOne("SELECT \(Self.modelColumns) FROM models WHERE id = ?", [id]) else {
                throw StorageError.missing("model", id)
            }
            guard try !modelRecord(row).training else {
                throw StorageError.conflict("model \(id) is being trained; cancel its job first")
            }
            try db.execute("DELETE FROM models WHERE id = ?", [id])
        }
        modelsChanged()
        try vacuum()
    }
}
