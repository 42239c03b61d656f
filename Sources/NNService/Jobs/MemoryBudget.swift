import Foundation
import NNCore

/// The memory budget of `NN_MAX_MEMORY`: one training job's or one predict request's estimated
/// peak (`MemoryEstimate`) must fit in it, or the request is refused with 422 `too_large` before
/// anything is allocated, so an oversized job can neither abort the process nor crash-loop it.
public enum MemoryBudget {
    /// ¾ of the memory this process may use: the cgroup's limit when one is set (v2
    /// `memory.max`, else v1 `memory.limit_in_bytes`), else the machine's physical memory.
    public static func defaultLimit() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let limit = min(cgroupLimit() ?? physical, physical)
        return limit / 4 * 3
    }

    /// The cgroup v2 limit (https://docs.kernel.org/admin-guide/cgroup-v2.html, `memory.max`,
    /// "max" when unset) or the v1 one (`memory.limit_in_bytes`, a huge number when unset).
    static func cgroupLimit() -> Int? {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            if let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0 { return value }
        }
        return nil
    }

    static func mebibytes(_ bytes: Double) -> String {
        String(format: "%.1f MiB", bytes / 1_048_576)
    }

    /// Refuses an estimate over the limit, naming both and what to change.
    static func check(_ estimate: Double, limit: Int, what: String, path: String, advice: String) throws {
        guard estimate > Double(limit) else { return }
        throw ServiceError.invalid(
            "\(what) needs an estimated \(mebibytes(estimate)) of memory; this server allows \(mebibytes(Double(limit))) (NN_MAX_MEMORY); \(advice)",
            path: path, code: "too_large")
    }
}

extension ServiceApp {
    /// A predict request's rows against the budget, before any row is read into floats.
    func checkPredictMemory(_ record: ModelRecord, rows: Int) throws {
        let estimate = record.spec.memoryEstimate(summary: try record.spec.validate()).prediction(rows: rows)
        try MemoryBudget.check(
            estimate, limit: options.maxMemoryBytes, what: "predicting \(rows) rows", path: "inputs",
            advice: "send fewer rows per request")
    }
}
