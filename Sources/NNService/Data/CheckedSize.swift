import Foundation
import NNCore

/// Sizes computed from client numbers (shapes, row counts, row widths). Every product is taken
/// with `multipliedReportingOverflow` against a limit before anything is reserved, so a request
/// can neither trap the process on overflow nor ask for an absurd allocation; the error names the
/// field that made the number too large.
enum CheckedSize {
    /// Most float values one data set or one predict request may hold (8 GiB of float32);
    /// the memory budget and the body limit usually refuse far earlier.
    static let maxValues = 1 << 31

    static func product(_ factors: [Int], limit: Int, path: String, what: String) throws -> Int {
        var total = 1
        for factor in factors {
            let (value, overflow) = total.multipliedReportingOverflow(by: factor)
            guard factor >= 0, !overflow, value <= limit else {
                throw ServiceError.invalid(
                    "\(what) \(factors.map(String.init).joined(separator: " × ")) is more than the limit of \(limit)",
                    path: path, code: "too_large")
            }
            total = value
        }
        return total
    }

    /// The values of one input sample: at most `ModelSpec.maxInputElements`.
    static func sampleWidth(_ shape: [Int], path: String) throws -> Int {
        try product(shape, limit: ModelSpec.maxInputElements, path: path, what: "input_shape")
    }

    /// A capacity to reserve for values read from a body: the claimed count, but never more than
    /// the body could hold (each number takes at least two bytes with its separator), so a claim
    /// is only trusted as far as the bytes back it.
    static func reservation(claimed: Int, bodyBytes: Int) -> Int {
        min(claimed, bodyBytes / 2 + 1)
    }

    /// Floats to reserve up front for an upload whose length bounds its count at `bound`: the
    /// bound, but at most an eighth of the machine's memory. Pages of a reservation that are never
    /// written are never resident, but the allocation itself must not fail: the kernel refuses
    /// one larger than the machine (overcommit heuristic, https://docs.kernel.org/mm/overcommit-accounting.html),
    /// and a 1 GiB body would otherwise ask for 2 GiB of floats. Beyond this the buffer grows.
    static func uploadReservation(_ bound: Int) -> Int {
        min(bound, maxUploadReservation)
    }

    static let maxUploadReservation = Int(min(ProcessInfo.processInfo.physicalMemory / 32, UInt64(Int.max)))
}
