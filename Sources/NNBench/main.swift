import Foundation
import NNCore

/// nn-bench: the fixed workloads of docs/BENCHMARKS.md, as a table and optionally as
/// one JSON document (`--json FILE`). Workloads this build cannot run are left out.
struct Report: Codable {
    var version = 1
    var threads: [Int]
    var machine: String
    /// The kernel set that ran (`KernelISA`: avx2 or avx512).
    var isa: String
    var workloads: [TrainingBenchmark.Result] = []
    var accuracy: [AccuracyBenchmark.Result] = []
    var gemm: [GemmBenchmark.Result] = []
}

func machineDescription() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
        cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores"
}

AllocatorTuning.keepLargeBlocks()
do {
    let options = try BenchOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    let isa = try KernelISA.selectAtStartup(environment: ProcessInfo.processInfo.environment)
    if let id = options.memoryWorkload, let workload = TrainingBenchmark.all.first(where: { $0.id == id }) {
        let result = try MemoryBenchmark.run(workload, threads: options.threads.max() ?? 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
        exit(0)
    }
    var report = Report(threads: options.threads, machine: machineDescription(), isa: isa.rawValue)
    let has = KernelISA.supported.map(\.rawValue).joined(separator: ", ")
    print("nn-bench on \(report.machine); kernels \(isa) (CPU has: \(has); NN_ISA forces one)")
    if Stopwatch.cpuTime {
        print("timing by the calling thread's CPU time (NN_BENCH_CPU_TIME=1): one-thread figures only")
    }
    if options.only.contains("gemm") {
        report.gemm = GemmBenchmark.run(threads: options.threads) { print($0) }
    }
    for workload in TrainingBenchmark.all where options.only.contains(workload.id) {
        // A workload whose layers this build lacks is left out, never reported as zero.
        if (try? Network(spec: workload.spec, seed: 0)) == nil {
            print("\(workload.id): not available in this build, skipped")
            continue
        }
        for threads in options.threads {
            let r = try workload.run(threads: threads)
            report.workloads.append(r)
            print(
                String(
                    format:
                        "%@ threads %d  train %.0f samples/s (%.0f..%.0f)  infer 1-sample %.1f us  batch-256 %.0f samples/s  loss %.4f  params %d",
                    r.id, r.threads, r.train_samples_per_s, r.train_min, r.train_max, r.infer_latency_us,
                    r.infer_batch256_samples_per_s, r.final_loss, r.params))
        }
    }
    for id in ["A1", "A2"] where options.only.contains(id) {
        let r = try AccuracyBenchmark.run(id, threads: options.threads.max() ?? 1)
        report.accuracy.append(r)
        print(String(format: "%@ test accuracy %.4f  %.2f s", r.id, r.test_accuracy, r.seconds))
    }
    if let path = options.jsonPath {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("wrote \(path)")
    }
} catch {
    FileHandle.standardError.write(Data("nn-bench: \(error)\n".utf8))
    exit(2)
}
