import Foundation
import NNService
import SQLiteStore
import XCTest

/// `007_float_columns_last` on a database written with the float columns in the middle of the
/// row: the data sets read back unchanged, the floats are now the last columns, and new data
/// sets (stored as trailing zeroblobs written in pieces) continue the sequence.
final class DatasetLayoutMigrationTests: XCTestCase {
    func testOlderDataSetsSurviveTheRebuildAndNewOnesFollowThem() throws {
        let path = StorageSupport.temporaryDirectory().appendingPathExtension("sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let oldInputs: [Float] = [0.5, -1, 2, 3.25, .greatestFiniteMagnitude, -0.0]
        do {
            let old = try Database(path: path)
            var migrator = Migrator()
            migrator.register("001_initial_schema") { db in
                try db.executeScript(CheckpointRetentionTests.initialSchema)
            }
            try migrator.migrate(old)
            try old.write { db in
                try db.execute(
                    """
                    INSERT INTO datasets(id, name, rows, input_shape, target, inputs, targets, bytes, created_at)
                    VALUES ('ds_old', 'old', 3, '[2]', ?, ?, ?, 36, 'then')
                    """,
                    [#"{"kind":"classes","classes":2}"#, oldInputs, [Float]([1, 0, 1])])
            }
            try old.close()
        }
        let store = try SQLiteServiceStore(path: path)
        defer { try? store.close() }
        let old = try XCTUnwrap(try store.dataset("ds_old"))
        XCTAssertEqual(old.rows, 3)
        XCTAssertEqual(old.inputShape, [2])
        XCTAssertEqual(try store.datasetColumn("ds_old", .inputs)?.map(\.bitPattern), oldInputs.map(\.bitPattern))
        XCTAssertEqual(try store.datasetColumn("ds_old", .targets), [1, 0, 1])

        let columns = try store.database.read { db in
            try db.query("PRAGMA table_info(datasets)").map { try $0.get("name") as String }
        }
        XCTAssertEqual(Array(columns.suffix(2)), ["inputs", "targets"], "\(columns)")

        let wide = (0..<70_000).map { Float($0) * 0.25 }
        let new = try store.insertDataset(
            DatasetUpload(
                name: "new", inputShape: [7], inputs: wide, targets: (0..<10_000).map { Float($0 % 3) },
                target: .classes(3)))
        XCTAssertEqual(try store.datasetColumn(new.id, .inputs), wide, "written in pieces, read back whole")
        XCTAssertEqual(try store.datasetColumn(new.id, .targets)?.count, 10_000)
        let order = try store.datasets(limit: 10, after: nil).map(\.id)
        XCTAssertEqual(order, ["ds_old", new.id], "the new data set follows the migrated one")
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }
}
