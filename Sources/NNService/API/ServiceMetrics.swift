import Foundation
import MicroHTTP
import NNCore

/// Request counts and latency histograms by route, for `GET /metrics` (Prometheus text
/// exposition format 0.0.4).
///
/// `@unchecked Sendable`: `requests` and `latency` are guarded by `lock`.
public final class ServiceMetrics: @unchecked Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RequestKey: Hashable { var route: String, method: String, status: Int }
    private struct Histogram {
        var counts = [Int](repeating: 0, count: ServiceMetrics.buckets.count); var sum = 0.0; var count = 0
    }

    private let lock = NSLock()
    private var requests: [RequestKey: Int] = [:]
    private var latency: [String: Histogram] = [:]

    public init() {}

    /// Method label values: the methods the API uses; any other method (clients may send any
    /// token, RFC 9110 §9.1) counts as `other`, so made-up methods cannot add series.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// Records one answered request (an access-log observer of the HTTP server). Labels come
    /// only from fixed sets: the route patterns (`other` when none matched), the known
    /// methods, and the status codes the server sends.
    public func observe(_ record: HTTPAccessRecord) {
        let route = record.route ?? "other"
        let method = record.method.map(\.rawValue).flatMap { Self.knownMethods.contains($0) ? $0 : nil } ?? "other"
        lock.lock()
        defer { lock.unlock() }
        requests[RequestKey(route: route, method: method, status: record.status), default: 0] += 1
        var histogram = latency[route] ?? Histogram()
        for (index, bound) in Self.buckets.enumerated() where record.duration <= bound { histogram.counts[index] += 1 }
        histogram.sum += record.duration
        histogram.count += 1
        latency[route] = histogram
    }

    func render(
        jobs: [JobStatus: Int], trainingSamples: Int, queueDepth: Int, storage: StorageFigures
    ) -> String {
        lock.lock()
        let requests = self.requests
        let latency = self.latency
        lock.unlock()
        var out = "# HELP nnserve_http_requests_total HTTP requests answered, by route, method and status.\n"
        out += "# TYPE nnserve_http_requests_total counter\n"
        for (key, count) in requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            out +=
                "nnserve_http_requests_total{route=\"\(escape(key.route))\",method=\"\(key.method)\",status=\"\(key.status)\"} \(count)\n"
        }
        out += "# HELP nnserve_http_request_duration_seconds Time from the request's head to the end of its response.\n"
        out += "# TYPE nnserve_http_request_duration_seconds histogram\n"
        for (route, histogram) in latency.sorted(by: { $0.key < $1.key }) {
            let label = "route=\"\(escape(route))\""
            for (index, bound) in Self.buckets.enumerated() {
                out +=
                    "nnserve_http_request_duration_seconds_bucket{\(label),le=\"\(bound)\"} \(histogram.counts[index])\n"
            }
            out += "nnserve_http_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            out += "nnserve_http_request_duration_seconds_sum{\(label)} \(histogram.sum)\n"
            out += "nnserve_http_request_duration_seconds_count{\(label)} \(histogram.count)\n"
        }
        out += "# HELP nnserve_jobs Training jobs by status.\n# TYPE nnserve_jobs gauge\n"
        for status in JobStatus.allCases { out += "nnserve_jobs{status=\"\(status.rawValue)\"} \(jobs[status] ?? 0)\n" }
        out +=
            "# HELP nnserve_training_samples_total Samples trained on since start.\n# TYPE nnserve_training_samples_total counter\n"
        out += "nnserve_training_samples_total \(trainingSamples)\n"
        out += "# HELP nnserve_queue_depth Jobs waiting for a worker.\n# TYPE nnserve_queue_depth gauge\n"
        out += "nnserve_queue_depth \(queueDepth)\n"
        out += "# HELP nnserve_database_bytes Size of the database file.\n# TYPE nnserve_database_bytes gauge\n"
        out += "nnserve_database_bytes \(storage.databaseBytes)\n"
        out +=
            "# HELP nnserve_database_wal_bytes Size of its write-ahead log.\n# TYPE nnserve_database_wal_bytes gauge\n"
        out += "nnserve_database_wal_bytes \(storage.walBytes)\n"
        out +=
            "# HELP nnserve_database_free_bytes Free pages inside the file, reused before it grows.\n# TYPE nnserve_database_free_bytes gauge\n"
        out += "nnserve_database_free_bytes \(storage.freeBytes)\n"
        out += "# HELP nnserve_checkpoints Stored training checkpoints.\n# TYPE nnserve_checkpoints gauge\n"
        out += "nnserve_checkpoints \(storage.checkpoints)\n"
        out += "# HELP nnserve_cpu_isa The kernel set in use (NN_ISA or CPUID).\n# TYPE nnserve_cpu_isa gauge\n"
        out += "nnserve_cpu_isa{isa=\"\(KernelISA.active)\"} 1\n"
        return out
    }

    private func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
