import NNCore
import SQLiteStore

extension SQLiteServiceStore {
    /// `007_float_columns_last`: the datasets table rebuilt with its two float columns last, so
    /// that an insert can leave them out of the record as trailing zeroblobs and write them in
    /// pieces. SQLite cannot reorder columns in place; this is its documented rebuild
    /// (https://www.sqlite.org/lang_altertable.html#otheralter). No other table refers to
    /// datasets by a foreign key, and no index, trigger or view names it.
    static func registerFloatColumnsLastMigration(_ migrator: inout Migrator) {
        migrator.register("007_float_columns_last") { db in
            try db.executeScript(
                """
                CREATE TABLE datasets_reordered(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                  rows INTEGER NOT NULL, input_shape TEXT NOT NULL, target TEXT NOT NULL,
                  bytes INTEGER NOT NULL, created_at TEXT NOT NULL, inputs BLOB NOT NULL, targets BLOB NOT NULL);
                INSERT INTO datasets_reordered(seq, id, name, rows, input_shape, target, bytes, created_at, inputs, targets)
                  SELECT seq, id, name, rows, input_shape, target, bytes, created_at, inputs, targets FROM datasets;
                DROP TABLE datasets;
                ALTER TABLE datasets_reordered RENAME TO datasets;
                """)
        }
    }

    public func insertDataset(_ upload: DatasetUpload) throws -> DatasetRecord {
        let record = DatasetRecord(
            id: Identifiers.make("ds"), name: upload.name, rows: upload.rows,
            inputShape: upload.inputShape, target: upload.target,
            bytes: (upload.inputs.count + upload.targets.count) * 4, createdAt: Identifiers.now())
        // The float columns go in as zeroblob(n) and are then written in pieces through
        // incremental blob I/O, in the same transaction (https://sqlite.org/c3ref/blob_open.html).
        // They are the last columns of the row (`007_float_columns_last`), so SQLite leaves the
        // trailing zeroblobs out of the record it builds instead of expanding them in memory
        // (https://sqlite.org/fileformat2.html#record_format): no copy of the floats is made
        // beyond the pages written to the log.
        try durableTransaction { db in
            try db.execute(
                """
                INSERT INTO datasets(id, name, rows, input_shape, target, bytes, created_at, inputs, targets)
                VALUES (?, ?, ?, ?, ?, ?, ?, zeroblob(?), zeroblob(?))
                """,
                [
                    record.id, record.name, record.rows, StoredJSON.encode(record.inputShape),
                    StoredJSON.encode(record.target), record.bytes, record.createdAt, upload.inputs.count * 4,
                    upload.targets.count * 4,
                ])
            let rowID = db.lastInsertRowID
            try upload.inputs.withUnsafeBytes {
                try db.writeBlob(table: "datasets", column: "inputs", rowID: rowID, bytes: $0)
            }
            try upload.targets.withUnsafeBytes {
                try db.writeBlob(table: "datasets", column: "targets", rowID: rowID, bytes: $0)
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
