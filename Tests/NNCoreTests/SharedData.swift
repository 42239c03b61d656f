import Foundation
import NNCore

/// The real data sets in the repository's `datasets/` folder.
enum SharedData {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("datasets")
    }

    /// Train and test splits of a CSV whose last numeric column is the class label and whose
    /// `split` column says train or test.
    static func load(_ name: String) throws -> (train: Dataset, test: Dataset) {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        let splits = try NumericTable(csv: text, textColumns: ["split"]).classificationSplits()
        return (splits["train"]!, splits["test"]!)
    }
}
