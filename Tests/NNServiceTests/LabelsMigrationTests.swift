import Foundation
import NNService
import SQLiteStore
import XCTest

/// `004_names_and_tags` on a database written before jobs and models had labels.
final class LabelsMigrationTests: XCTestCase {
    func testOlderRowsGetNoNameAndNoTags() throws {
        let path = StorageSupport.temporaryDirectory().appendingPathExtension("sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let old = try Database(path: path)
            var migrator = Migrator()
            migrator.register("001_initial_schema") { db in
                try db.executeScript(CheckpointRetentionTests.initialSchema)
            }
            try migrator.migrate(old)
            try old.write { db in
                try db.execute(
                    "INSERT INTO models(id, spec, created_at) VALUES ('m_old', ?, 'now')",
                    [#"{"input_shape":[2],"layers":[{"type":"dense","units":1}]}"#])
                try db.execute(
                    """
                    INSERT INTO jobs(id, model_id, dataset_id, config, status, epochs, created_at)
                    VALUES ('job_old', 'm_old', 'ds_x', ?, 'succeeded', 1, 'now')
                    """,
                    [#"{"loss":"mse","optimizer":{"type":"sgd","learning_rate":0.1},"epochs":1}"#])
            }
            try old.close()
        }
        let store = try SQLiteServiceStore(path: path)
        defer { try? store.close() }
        XCTAssertEqual(try store.model("m_old")?.labels, Labels())
        XCTAssertEqual(try store.job("job_old")?.labels, Labels())
        let applied = try store.database.read { db in
            try db.query("SELECT name FROM schema_migrations ORDER BY name").map { try $0.get("name") as String }
        }
        XCTAssert(applied.contains("004_names_and_tags"), "\(applied)")
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }
}
