import Foundation
import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    /// Creates a model that already has weights (an uploaded self-describing file), in one
    /// transaction: either the model exists with its weights or nothing was stored.
    public func createModel(
        _ spec: ModelSpec, weights: [UInt8], loss: LossFunction?, labels: Labels
    ) throws -> ModelRecord {
        _ = try spec.validate()
        let id = try inTransaction { db in
            let id = try insertModel(spec, labels: labels, in: db)
            try db.execute(
                "UPDATE models SET weights = ?, weights_version = weights_version + 1, loss = ? WHERE id = ?",
                [Data(weights), loss?.rawValue, id])
            return id
        }
        modelsChanged()
        return try model(id)!
    }
}
