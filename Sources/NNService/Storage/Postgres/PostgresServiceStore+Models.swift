import Foundation
import NNCore
import PostgresStore

extension PostgresServiceStore {
    static let modelColumns = """
        id, spec, loss, (weights IS NOT NULL OR weights_epoch IS NOT NULL) AS has_weights, weights_epoch,
        weights_version, epochs_trained, created_at,
        EXISTS(SELECT 1 FROM jobs WHERE jobs.model_id = models.id AND status IN ('queued', 'running')) AS training,
        name, tags
        """

    /// The SQL of each of the models' sort fields. Names compare bytewise (`COLLATE "C"`), as
    /// SQLite's BINARY collation does, so both stores page names in one order.
    static let modelSortExpressions = [
        "created_at": "models.seq", "name": "models.name COLLATE \"C\"", "epochs_trained": "models.epochs_trained",
    ]

    func modelRecord(_ row: PostgresRow) throws -> ModelRecord {
        let loss: String? = try row.get("loss")
        return ModelRecord(
            id: try row.get("id"), spec: try StoredJSON.decode(ModelSpec.self, try row.get("spec")),
            loss: loss.flatMap(LossFunction.init(rawValue:)), hasWeights: try row.get("has_weights"),
            weightsEpoch: try row.get("weights_epoch"),
            weightsVersion: try row.get("weights_version"), epochsTrained: try row.get("epochs_trained"),
            training: try row.get("training"), createdAt: try row.get("created_at"), labels: try Self.labels(row))
    }

    func insertModel(_ spec: ModelSpec, labels: Labels, in db: PostgresConnection) throws -> String {
        let id = Identifiers.make("m")
        try db.execute(
            "INSERT INTO models(id, spec, created_at, name, tags) VALUES ($1, $2, $3, $4, $5)",
            [id, StoredJSON.encode(spec), Identifiers.now(), labels.name, StoredJSON.encode(labels.tags)])
        try modelsChanged(in: db)
        return id
    }

    public func createModel(_ spec: ModelSpec, labels: Labels) throws -> ModelRecord {
        _ = try spec.validate()
        let id = try inTransaction { try insertModel(spec, labels: labels, in: $0) }
        return try model(id)!
    }

    public func createModel(
        _ spec: ModelSpec, weights: [UInt8], loss: LossFunction?, labels: Labels
    ) throws -> ModelRecord {
        _ = try spec.validate()
        let id = try inTransaction { db in
            let id = try insertModel(spec, labels: labels, in: db)
            try db.execute(
                "UPDATE models SET weights = $1, weights_version = weights_version + 1, loss = $2 WHERE id = $3",
                [Data(weights), loss?.rawValue, id])
            return id
        }
        return try model(id)!
    }

    public func model(_ id: String) throws -> ModelRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.modelColumns) FROM models WHERE id = $1", [id]).map(modelRecord)
        }
    }

    public func models(query: ListQuery) throws -> (items: [ModelRecord], next: String?) {
        try listPage(
            .models, columns: Self.modelColumns, sortExpressions: Self.modelSortExpressions, query: query,
            filter: nil, decode: modelRecord, id: \.id)
    }

    public func modelWeights(_ id: String) throws -> (bytes: [UInt8], version: Int)? {
        let found = try read { db -> (stored: Data?, state: Data?, version: Int)? in
            guard
                let row = try db.queryOne(
                    """
                    SELECT models.weights AS weights, models.weights_version AS version, checkpoints.state AS state
                    FROM models LEFT JOIN checkpoints
                      ON checkpoints.model_id = models.id AND checkpoints.epoch = models.weights_epoch
                    WHERE models.id = $1
                    """, [id])
            else { return nil }
            return (try row.get("weights"), try row.get("state"), try row.get("version"))
        }
        guard let found else { return nil }
        if let stored = found.stored { return ([UInt8](stored), found.version) }
        guard let state = found.state else { return nil }
        return (try TrainingCheckpoint.weights(from: [UInt8](state)).encoded(), found.version)
    }

    /// Locks the model's row and answers whether a queued or running job trains it; throws
    /// `notFound` for an unknown model. Job creation takes the same lock, so the answer holds
    /// until the transaction ends.
    func lockModelForChange(_ id: String, in db: PostgresConnection) throws -> Bool {
        guard try db.queryOne("SELECT 1 AS found FROM models WHERE id = $1 FOR UPDATE", [id]) != nil else {
            throw StorageError.missing("model", id)
        }
        return try db.queryOne(
            "SELECT 1 AS found FROM jobs WHERE model_id = $1 AND status IN ('queued', 'running') LIMIT 1", [id]) != nil
    }

    public func replaceWeights(_ id: String, bytes: [UInt8], loss: LossFunction?) throws {
        try inTransaction { db in
            guard try !lockModelForChange(id, in: db) else {
                throw StorageError.conflict(
                    "model \(id) is being trained; cancel its job or wait before uploading weights")
            }
            try db.execute(
                """
                UPDATE models SET weights = $1, weights_epoch = NULL, weights_version = weights_version + 1, loss = $2
                WHERE id = $3
                """, [Data(bytes), loss?.rawValue, id])
            try modelsChanged(in: db)
        }
    }

    public func deleteModel(_ id: String) throws {
        try inTransaction { db in
            guard try !lockModelForChange(id, in: db) else {
                throw StorageError.conflict("model \(id) is being trained; cancel its job first")
            }
            try db.execute("DELETE FROM models WHERE id = $1", [id])
            try modelsChanged(in: db)
        }
    }
}
