import Foundation
import NNCore
import SQLiteStore

/// Bounded storage: which checkpoints stay, one copy of the weights, and the migration that
/// brings older databases to that layout.
extension SQLiteServiceStore {
    /// `002_one_copy_of_the_weights`: checkpoints record every monitored figure (so that
    /// retention can rank them by any monitor), and a model's weights may refer to one of its
    /// checkpoints (`weights_epoch`) instead of holding a copy. Stored weights identical to the
    /// checkpoint at the model's last trained epoch become such a reference; uploaded weights
    /// (which differ from every checkpoint) stay where they are.
    static func registerRetentionMigration(_ migrator: inout Migrator) {
        migrator.register("002_one_copy_of_the_weights") { db in
            try db.executeScript(
                """
                ALTER TABLE checkpoints ADD COLUMN accuracy REAL;
                ALTER TABLE checkpoints ADD COLUMN val_accuracy REAL;
                ALTER TABLE models ADD COLUMN weights_epoch INTEGER;
                """)
            let candidates = try db.query(
                """
                SELECT models.id AS id, models.epochs_trained AS epoch, models.weights AS weights, checkpoints.state AS state
                FROM models JOIN checkpoints ON checkpoints.model_id = models.id AND checkpoints.epoch = models.epochs_trained
                WHERE models.weights IS NOT NULL
                """)
            for row in candidates {
                let weights = [UInt8](try row.get("weights") as Data)
                let state = [UInt8](try row.get("state") as Data)
                guard let stored = try? SafetensorsFile(bytes: weights),
                    let fromCheckpoint = try? TrainingCheckpoint.weights(from: state),
                    SafetensorsFile(tensors: stored.tensors).encoded() == fromCheckpoint.encoded()
                else { continue }
                try db.execute(
                    "UPDATE models SET weights = NULL, weights_epoch = ? WHERE id = ?",
                    [try row.get("epoch") as Int, try row.get("id") as String])
            }
        }
    }

    /// One stored checkpoint's epoch and monitored figures, for ranking.
    struct CheckpointFigures {
        var epoch: Int
        var loss: Double?
        var valLoss: Double?
        var accuracy: Double?
        var valAccuracy: Double?
    }

    /// The epochs to keep among `checkpoints`: the `keepLast` newest, the `keepBest` best by the
    /// monitor (ties go to the earlier epoch, as Keras keeps the first best), and `pinned`.
    static func epochsToKeep(
        _ checkpoints: [CheckpointFigures], retention: CheckpointRetention, pinned: Set<Int>
    ) -> Set<Int> {
        var keep = pinned
        keep.formUnion(checkpoints.map(\.epoch).sorted(by: >).prefix(retention.keepLast))
        let ranked = checkpoints.compactMap { figures -> (epoch: Int, value: Double)? in
            retention.value(
                loss: figures.loss, valLoss: figures.valLoss, accuracy: figures.accuracy,
                valAccuracy: figures.valAccuracy
            ).map { (figures.epoch, $0) }
        }.filter { !$0.value.isNaN }
        let best = ranked.sorted {
            $0.value != $1.value
                ? (retention.higherIsBetter ? $0.value > $1.value : $0.value < $1.value) : $0.epoch < $1.epoch
        }
        keep.formUnion(best.prefix(retention.keepBest).map(\.epoch))
        return keep
    }

    /// Deletes the model's checkpoints that retention does not keep, counting `incoming` (the
    /// checkpoint about to be written) as one of them. Runs inside the caller's transaction and
    /// before the insert, so the pages it frees hold the new checkpoint.
    func pruneCheckpoints(
        model id: String, incoming: CheckpointFigures, retention: CheckpointRetention, pinned: Set<Int>,
        in db: Connection
    ) throws {
        let stored = try db.query(
            "SELECT epoch, loss, val_loss, accuracy, val_accuracy FROM checkpoints WHERE model_id = ? AND epoch != ?",
            [id, incoming.epoch]
        ).map {
            CheckpointFigures(
                epoch: try $0.get("epoch"), loss: try $0.get("loss"), valLoss: try $0.get("val_loss"),
                accuracy: try $0.get("accuracy"), valAccuracy: try $0.get("val_accuracy"))
        }
        let keep = Self.epochsToKeep(stored + [incoming], retention: retention, pinned: pinned.union([incoming.epoch]))
        for figures in stored where !keep.contains(figures.epoch) {
            try db.execute("DELETE FROM checkpoints WHERE model_id = ? AND epoch = ?", [id, figures.epoch])
        }
    }
}
