import Foundation
import NNCore
import PostgresStore

extension PostgresServiceStore {
    public func insertDataset(_ upload: DatasetUpload) throws -> DatasetRecord {
        let record = DatasetRecord(
            id: Identifiers.make("ds"), name: upload.name, rows: upload.rows,
            inputShape: upload.inputShape, target: upload.target,
            bytes: (upload.inputs.count + upload.targets.count) * 4, createdAt: Identifiers.now())
        _ = try inTransaction { db in
            try db.execute(
                """
                INSERT INTO datasets(id, name, rows, input_shape, target, inputs, targets, bytes, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [
                    record.id, record.name, record.rows, StoredJSON.encode(record.inputShape),
                    StoredJSON.encode(record.target), upload.inputs, upload.targets, record.bytes, record.createdAt,
                ])
        }
        return record
    }

    private static let datasetColumns = "id, name, rows, input_shape, target, bytes, created_at"

    private func datasetRecord(_ row: PostgresRow) throws -> DatasetRecord {
        DatasetRecord(
            id: try row.get("id"), name: try row.get("name"), rows: try row.get("rows"),
            inputShape: try StoredJSON.decode([Int].self, try row.get("input_shape")),
            target: try StoredJSON.decode(DatasetRecord.Target.self, try row.get("target")),
            bytes: try row.get("bytes"), createdAt: try row.get("created_at"))
    }

    public func dataset(_ id: String) throws -> DatasetRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.datasetColumns) FROM datasets WHERE id = $1", [id]).map(datasetRecord)
        }
    }

    public func datasets(limit: Int, after: String?) throws -> [DatasetRecord] {
        try read { db in
            try db.query(
                """
                SELECT \(Self.datasetColumns) FROM datasets
                WHERE seq > COALESCE((SELECT seq FROM datasets WHERE id = $1), 0) ORDER BY seq LIMIT $2
                """, [after ?? "", limit]
            ).map(datasetRecord)
        }
    }

    public func loadDataset(_ id: String) throws -> Dataset? {
        try read { db -> Dataset? in
            guard
                let row = try db.queryOne(
                    "SELECT input_shape, target, inputs, targets FROM datasets WHERE id = $1", [id])
            else { return nil }
            let upload = DatasetUpload(
                name: "", inputShape: try StoredJSON.decode([Int].self, try row.get("input_shape")),
                inputs: try row.floats("inputs"), targets: try row.floats("targets"),
                target: try StoredJSON.decode(DatasetRecord.Target.self, try row.get("target")))
            return upload.dataset()
        }
    }

    public func datasetTargetsAreBinary(_ id: String) throws -> Bool? {
        try read { db -> Bool? in
            guard let row = try db.queryOne("SELECT targets FROM datasets WHERE id = $1", [id]) else { return nil }
            return try row.floats("targets").allSatisfy { $0 == 0 || $0 == 1 }
        }
    }

    public func datasetColumn(_ id: String, _ column: DatasetColumn) throws -> [Float]? {
        try read { db -> [Float]? in
            try db.queryOne("SELECT \(column.rawValue) FROM datasets WHERE id = $1", [id]).map {
                try $0.floats(column.rawValue)
            }
        }
    }

    /// Deletes a data set unless a queued or running job, or a running sweep, uses it. The data set's row is locked
    /// first, so a job cannot be created on it between the check and the delete.
    public func deleteDataset(_ id: String) throws {
        try inTransaction { db in
            guard try db.queryOne("SELECT 1 AS found FROM datasets WHERE id = $1 FOR UPDATE", [id]) != nil else {
                throw StorageError.missing("dataset", id)
            }
            if let job = try db.queryOne(
                """
                SELECT id FROM jobs WHERE (dataset_id = $1 OR validation_dataset_id = $1)
                  AND status IN ('queued', 'running') LIMIT 1
                """, [id])
            {
                let jobID: String = try job.get("id")
                throw StorageError.conflict(
                    "data set \(id) is used by job \(jobID), which has not ended; cancel it first or wait")
            }
            if let sweep = try runningSweep(using: id, in: db) {
                throw StorageError.conflict(
                    "data set \(id) is used by sweep \(sweep), which has not ended; cancel it first or wait")
            }
            try db.execute("DELETE FROM datasets WHERE id = $1", [id])
        }
    }
}
