import Foundation
import NNCore
import XCTest

/// W3 (lstm 64) and W5 (rnn 64 tanh) of `docs/BENCHMARKS.md`, timed as the workload
/// file says (median of 5 epochs after 1 warm-up, 2,048 sequences, batch 32, Adam 0.001, no
/// shuffling). Opt-in, since timing belongs to the benchmark, not the test suite:
/// `NN_RECURRENT_BENCH=1 swift test -c release --skip-build --filter RecurrentBenchmarkTests`.
final class RecurrentBenchmarkTests: XCTestCase {
    /// CPU seconds of the calling thread: on a shared, loaded machine it measures the work
    /// of a one-thread run where wall time measures the neighbours.
    private func threadSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Median samples/s over 5 epochs after 1 warm-up: by wall time, and by this thread's CPU time.
    private func trainSamplesPerSecond(_ recurrent: LayerSpec, threads: Int) throws -> (wall: Double, cpu: Double) {
        let spec = ModelSpec(
            inputShape: [50, 16], layers: [recurrent, .dense(units: 10, activation: .linear, useBias: true)])
        var rng = SeededGenerator(seed: 0)
        let count = 2048
        let inputs = GradientCheck.normalTensor([count, 50, 16], &rng)
        let labels = (0..<count).map { _ in Int32(rng.index(below: 10)) }
        let data = Dataset(inputs: inputs, targets: .classes(labels, count: 10))
        let config = TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            batchSize: 32, epochs: 6, shuffle: false, seed: 0)
        let trainer = try Trainer(
            network: try Network(spec: spec, seed: 0), config: config, training: data,
            validation: nil, threads: threads)
        _ = try trainer.runEpoch()
        var rates: [Double] = [], cpuRates: [Double] = []
        for _ in 0..<5 {
            let cpu = threadSeconds()
            rates.append(Double(count) / (try trainer.runEpoch()).seconds)
            cpuRates.append(Double(count) / (threadSeconds() - cpu))
        }
        return (rates.sorted()[2], cpuRates.sorted()[2])
    }

    func testW3AndW5TrainingSpeed() throws {
        guard ProcessInfo.processInfo.environment["NN_RECURRENT_BENCH"] != nil else {
            throw XCTSkip("set NN_RECURRENT_BENCH=1 to time W3 and W5")
        }
        for threads in [1, 2] {
            let w3 = try trainSamplesPerSecond(.lstm(units: 64, returnSequences: false), threads: threads)
            let w5 = try trainSamplesPerSecond(
                .rnn(units: 64, activation: .tanh, returnSequences: false), threads: threads)
            // Thread CPU time counts the calling thread only, so it means something for 1 thread.
            print(
                String(
                    format:
                        "threads %d: W3 lstm %.0f samples/s, W5 rnn %.0f samples/s (by thread CPU time: %.0f, %.0f)",
                    threads, w3.wall, w5.wall, w3.cpu, w5.cpu))
        }
    }
}
