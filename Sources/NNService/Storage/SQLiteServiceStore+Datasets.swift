import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    public func insertDataset(_ upload: DatasetUpload) throws -> DatasetRecord {
        let record = DatasetRecord(
            id: Identifiers.make("ds"), name: upload.name, rows: upload.rows,
            inputShape: upload.inputShape, target: upload.target,
            bytes: (upload.inputs.count + upload.targets.count) * 4, createdAt: Identifiers.now())
        // The floats are bound where they are (`BorrowedBlob`, SQLITE_STATIC) for one statement
        // that is finalized at once: SQLite copies them once, into the record it stores, instead
        // of first into a bound copy. (Writing them in pieces into a zeroblob(n) row would not save
        // that copy: the blob columns are not the last of the row, so SQLite expands a zeroblob in
        // memory to build the record, https://sqlite.org/fileformat2.html#record_format.)
        try upload.inputs.withUnsafeBytes { inputs in
            try upload.targets.withUnsafeBytes { targets in
                try durableTransaction { db in
                    // Not a cached statement: a statement keeps the memory of its record register
                    // between runs, which would hold a copy of the largest data set ever stored.
                    let insert = try db.makeStatement(
                        """
                        INSERT INTO datasets(id, name, rows, input_shape, target, inputs, targets, bytes, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                    try insert.bind([
                        record.id, record.name, record.rows, StoredJSON.encode(record.inputShape),
                        StoredJSON.encode(record.target), BorrowedBlob(inputs), BorrowedBlob(targets), record.bytes,
                        record.createdAt,
                    ])
                    try insert.run()
                }
            }
        }
        return record
    }

    private static let datasetColumns = "id, name, rows, input_shape, target, bytes, created_at"

    private func datasetRecord(_ row: Row) throws -> DatasetRecord {
        DatasetRecord(
            id: try row.get("id"), name: try row.get("name"), rows: try row.get("rows"),
            inputShape: try StoredJSON.decode([Int].self, try row.get("input_shape")),
            target: try StoredJSON.decode(DatasetRecord.Target.self, try row.get("target")),
            bytes: try row.get("bytes"), createdAt: try row.get("created_at"))
    }

    public func dataset(_ id: String) throws -> DatasetRecord? {
        try read { db in
            try db.queryOne("SELECT \(Self.datasetColumns) FROM datasets WHERE id = ?", [id]).map(datasetRecord)
        }
    }

    /// A page of data sets in creation order after the cursor (an id).
    public func datasets(limit: Int, after: String?) throws -> [DatasetRecord] {
        try read { db in
            try db.query(
                """
                SELECT \(Self.datasetColumns) FROM datasets
                WHERE seq > COALESCE((SELECT seq FROM datasets WHERE id = ?), 0) ORDER BY seq LIMIT ?
                """, [after, limit]
            ).map(datasetRecord)
        }
    }

    /// The samples of a data set, as the core's type.
    public func loadDataset(_ id: String) throws -> Dataset? {
        try read { db -> Dataset? in
            guard
                let row = try db.queryOne(
                    "SELECT input_shape, target, rows, inputs, targets FROM datasets WHERE id = ?", [id])
            else {
                return nil
            }
            let shape = try StoredJSON.decode([Int].self, try row.get("input_shape"))
            let target = try StoredJSON.decode(DatasetRecord.Target.self, try row.get("target"))
            let upload = DatasetUpload(
                name: "", inputShape: shape, inputs: try row.floats("inputs"),
                targets: try row.floats("targets"), target: target)
            return upload.dataset()
        }
    }

    /// Deletes a data set unless a queued or running job, or a running sweep, uses it (409).
    public func deleteDataset(_ id: String) throws {
        try durableTransaction { db in
            guard try db.queryOne("SELECT 1 FROM datasets WHERE id = ?", [id]) != nil else {
                throw StorageError.missing("dataset", id)
            }
            if let job = try db.queryOne(
                """
                SELECT id FROM jobs WHERE (dataset_id = ? OR validation_dataset_id = ?) AND status IN ('queued', 'running') LIMIT 1
                """, [id, id])
            {
                let jobID: String = try job.get("id")
                throw StorageError.conflict(
                    "data set \(id) is used by job \(jobID), which has not ended; cancel it first or wait")
            }
            if let sweep = try runningSweep(using: id, in: db) {
                throw ServiceError.conflict(
                    "data set \(id) is used by sweep \(sweep), which has not ended; cancel it first or wait")
            }
            try db.execute("DELETE FROM datasets WHERE id = ?", [id])
        }
        try vacuum()
    }
}

extension SQLiteServiceStore {
    /// Whether every target value is 0 or 1, read from the targets column without the inputs.
    public func datasetTargetsAreBinary(_ id: String) throws -> Bool? {
        try read { db -> Bool? in
            guard let row = try db.queryOne("SELECT targets FROM datasets WHERE id = ?", [id]) else { return nil }
            return try row.floats("targets").allSatisfy { $0 == 0 || $0 == 1 }
        }
    }

    /// One column of a data set's samples (`inputs` or `targets`) without the other, for checks
    /// at job submission that read the values themselves (token ids, per-step classes).
    public func datasetColumn(_ id: String, _ column: DatasetColumn) throws -> [Float]? {
        try read { db -> [Float]? in
            try db.queryOne("SELECT \(column.rawValue) FROM datasets WHERE id = ?", [id]).map {
                try $0.floats(column.rawValue)
            }
        }
    }
}
