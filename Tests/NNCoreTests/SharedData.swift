import Foundation
import NNCore

/// The real data sets in `../shared/data/` beside the repository.
enum SharedData {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// Train and test splits of a CSV whose last numeric column is the class label and whose
    /// `split` column says train or test.
    static func load(_ name: String) throws -> (train: Dataset, test: Dataset) {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        let table = try NumericTable(csv: text, textColumns: ["split"])
        let labelColumn = table.columnIndex("label")!
        let featureColumns = table.header.indices.filter { $0 != labelColumn && table.header[$0] != "split" }
        let splits = table.text["split"]!
        let classes = Int(table.rows.map { $0[labelColumn] }.max()!) + 1
        func make(_ which: String) -> Dataset {
            let rows = table.rows.indices.filter { splits[$0] == which }
            let inputs = rows.flatMap { row in featureColumns.map { table.rows[row][$0] } }
            return Dataset(inputs: Tensor(shape: [rows.count, featureColumns.count], scalars: inputs),
                           targets: .classes(rows.map { Int32(table.rows[$0][labelColumn]) }, count: classes))
        }
        return (make("train"), make("test"))
    }
}
