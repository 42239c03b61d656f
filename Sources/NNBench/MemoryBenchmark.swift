import Foundation
import NNCore

/// `nn-bench --memory W1`: trains one workload for one epoch at batch 64 and compares the
/// peak resident memory it adds with `MemoryEstimate` (the number the service's memory budget
/// relies on). The baseline is taken once the data set is in memory, then the peak counter
/// (VmHWM) is reset through /proc/self/clear_refs, so the growth counts the network, its
/// optimizer and one epoch's activations, not the data. Run each workload in a fresh process
/// (scripts/memory-estimate.sh) so that memory one workload freed does not hide the next one's.
enum MemoryBenchmark {
    struct Result: Codable {
        var id: String
        var batch_size: Int
        var estimate_bytes: Double
        var measured_bytes: Double
        var ratio: Double
    }

    static func run(_ workload: TrainingBenchmark, batchSize: Int = 64, threads: Int) throws -> Result {
        var rng = SeededGenerator(seed: 0)
        let sampleSize = workload.spec.inputShape.reduce(1, *)
        let samples = 1024
        let inputs = Tensor(
            shape: [samples] + workload.spec.inputShape,
            scalars: (0..<(samples * sampleSize)).map { _ in rng.normal() })
        let labels = (0..<samples).map { _ in Int32(rng.index(below: 10)) }
        let data = Dataset(inputs: inputs, targets: .classes(labels, count: 10))
        let baseline = try residentBytes()
        try resetPeak()
        let network = try Network(spec: workload.spec, seed: 0)
        let config = TrainingConfig(
            loss: .crossEntropy, optimizer: workload.optimizer, batchSize: batchSize, epochs: 1, shuffle: true, seed: 0)
        let trainer = try Trainer(network: network, config: config, training: data, validation: nil, threads: threads)
        _ = try trainer.runEpoch()
        // The checkpoint a job writes after each epoch: weights and optimizer state, encoded.
        let checkpoint = TrainingCheckpoint.encode(network: network, trainer: trainer)
        let measured = try peakBytes() - baseline
        withExtendedLifetime(checkpoint) {}
        let estimate = workload.spec.memoryEstimate(
            summary: try workload.spec.validate(), optimizerSlots: ModelSpec.optimizerSlots(workload.optimizer)
        ).training(batchSize: batchSize)
        return Result(
            id: workload.id, batch_size: batchSize, estimate_bytes: estimate, measured_bytes: measured,
            ratio: estimate / measured)
    }

    static func status(_ key: String) throws -> Double {
        let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { throw BenchError("no \(key) in /proc/self/status") }
        return kib * 1024
    }

    static func residentBytes() throws -> Double { try status("VmRSS") }
    static func peakBytes() throws -> Double { try status("VmHWM") }

    /// Writing 5 to clear_refs resets VmHWM to the current RSS (proc(5), Linux 4.0+).
    static func resetPeak() throws {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}
