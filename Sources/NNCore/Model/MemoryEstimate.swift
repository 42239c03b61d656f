/// The peak memory a model needs to train or predict, estimated from its spec's summary alone
/// (no network is built, no data loaded), so that a job or a predict request that cannot fit is
/// refused before anything is allocated.
///
/// How it is counted (float32, 4 bytes a value):
/// - `fixedBytes`: the parameters, their gradients and the optimizer's state (`optimizerSlots`
///   values per parameter: SGD with momentum 1, Adam 2), a packed copy of every weight that the
///   GEMM kernels keep, the checkpoint (weights and optimizer state encoded once more while it is
///   written), and `runtimeBytes` for the worker threads' stacks and scratch buffers.
/// - `perSampleBytes`: per training sample, the batch of inputs (gathered, then augmented), every
///   layer's output (kept for the backward pass; except a batch norm's or an add's output that
///   only activation or add layers read, since those keep their own output or nothing, so it is
///   freed once read), the gradient of every layer's output (the
///   backward pass holds two at a time, so the two largest are counted), and the inner state that
///   recurrent layers keep per step (gates, states, cells and their gradients).
///   In a graph, the gradient of every output that branches (read by more than the next layer)
///   is kept until all its readers have added to it, so those are counted as well.
/// - `inferencePerSampleBytes`: per predicted sample, the most values alive at once: each
///   layer's output with its inputs and every earlier output that a later layer still reads
///   (for a chain, the two largest consecutive ones), plus the request's own rows and answer text.
/// Every product is taken in Double: absurd specs give absurd (never overflowing) estimates.
public struct MemoryEstimate: Equatable, Sendable {
    public var fixedBytes: Double
    public var perSampleBytes: Double
    /// The parameters and their packed copies, which a prediction needs besides its rows.
    public var inferenceFixedBytes: Double
    public var inferencePerSampleBytes: Double

    /// Thread stacks, scratch pools and allocator slack that every job brings, measured with
    /// nn-bench --memory on W1 (the smallest workload).
    static let runtimeBytes: Double = 6 * 1024 * 1024

    /// Training at `batchSize` (the last partial batch is never larger).
    public func training(batchSize: Int) -> Double { fixedBytes + perSampleBytes * Double(batchSize) }

    /// Predicting `rows` rows in one pass.
    public func prediction(rows: Int) -> Double { inferenceFixedBytes + inferencePerSampleBytes * Double(rows) }
}

extension ModelSpec {
    /// Float values per parameter that an optimizer keeps.
    public static func optimizerSlots(_ optimizer: OptimizerConfig) -> Int {
        switch optimizer {
        case let .sgd(_, momentum, _, _): return momentum > 0 ? 1 : 0
        case .adam: return 2
        }
    }

    /// Whether layer `index`'s output is dropped after its readers ran: no layer keeps a batch
    /// norm's or an add's output (batch norm keeps its input, an add nothing) when only
    /// activations (which keep their output) and adds read it. The last layer's output is the
    /// loss's input and counts.
    static func freedOnceRead(_ index: Int, layers: [LayerSpec], readers: [Int]) -> Bool {
        switch layers[index] {
        case .batchnorm, .add:
            return !readers.isEmpty
                && readers.allSatisfy { reader in
                    switch layers[reader] {
                    case .activation, .add: return true
                    default: return false
                    }
                }
        default:
            return false
        }
    }

    /// The estimate for this spec; `summary` is `validate()`'s answer.
    public func memoryEstimate(summary: [LayerSummary], optimizerSlots: Int = 2) -> MemoryEstimate {
        let float = 4.0
        let params = Double(summary.reduce(0) { $0 + $1.params })
        let fixed = float * params * (2 + Double(optimizerSlots) + 1 + 2 * (1 + Double(optimizerSlots)))
        let input = Double(inputShape.reduce(1.0) { $0 * Double($1) })
        var outputs: [Double] = []
        var recurrent = 0.0
        var previous = input
        // The steps a recurrent layer runs: its input's first axis, which a conv1d or a pool
        // before it may have shortened.
        var previousShape = inputShape
        for (layer, row) in zip(layers, summary) {
            let size = row.outputShape.reduce(1.0) { $0 * Double($1) }
            outputs.append(size)
            switch layer {
            case let .lstm(units, _), let .rnn(units, _, _):
                let gates = layer.typeName == "lstm" ? 4.0 : 1.0
                let steps = Double(previousShape.first ?? 1)
                // xs and their gradients, gates and gate gradients, states, cells, tanh(cells).
                recurrent += steps * (2 * previous / steps + 2 * gates * Double(units) + 3 * Double(units))
            default:
                break
            }
            previous = size
            previousShape = row.outputShape
        }
        let sorted = outputs.sorted(by: >)
        let largestTwo = sorted.prefix(2).reduce(0, +)
        let graph =
            (try? self.graph())
            ?? ModelGraph(
                names: layers.indices.map(String.init), sources: layers.indices.map { [$0 - 1] },
                readers: layers.indices.map { $0 + 1 < layers.count ? [$0 + 1] : [] })
        let branchGradients = zip(graph.readers, outputs).enumerated().reduce(0.0) { sum, entry in
            let (index, (readers, size)) = entry
            return readers.isEmpty || readers == [index + 1] ? sum : sum + size
        }
        let kept = outputs.indices.reduce(0.0) { sum, index in
            sum + (Self.freedOnceRead(index, layers: layers, readers: graph.readers[index]) ? 0 : outputs[index])
        }
        let perSample =
            float
            * (2 * input + kept + largestTwo + max(input, sorted.first ?? 0) + recurrent
                + branchGradients)
        // Alive while layer k runs: its output, and every earlier output (or the input) that
        // layer k or a later one reads.
        var freedAfter = Array(repeating: 0.0, count: outputs.count)
        for (index, readers) in graph.readers.enumerated() {
            if let last = readers.last { freedAfter[last] += outputs[index] }
        }
        if let last = graph.sources.indices.last(where: { graph.sources[$0].contains(ModelGraph.modelInput) }) {
            freedAfter[last] += input
        }
        var alive = input, largestPair = input
        for (index, size) in outputs.enumerated() {
            largestPair = max(largestPair, alive + size)
            alive += (graph.readers[index].isEmpty ? 0 : size) - freedAfter[index]
        }
        // The request's JSON rows (about 10 bytes a value) and the answer text (about 12).
        let inference = float * largestPair + 10 * input + 12 * (outputs.last ?? 0)
        return MemoryEstimate(
            fixedBytes: fixed + MemoryEstimate.runtimeBytes, perSampleBytes: perSample,
            inferenceFixedBytes: 2 * float * params, inferencePerSampleBytes: inference)
    }
}
