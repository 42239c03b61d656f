/// Forward, backward and predict over a graph's segments (`NetworkSegment`), in list order.
///
/// Forward keeps each segment's output until its last reader has run. Backward visits the
/// segments in reverse: a segment's gradient is complete once every later reader has added
/// its share (a branch point's gradient is the sum over its readers, as autograd sums it),
/// always in the same order, so results do not depend on threads.
extension Network {
    /// How many reads of each segment's output follow (a merge may read one source twice).
    private var readCounts: [Int] {
        var counts = Array(repeating: 0, count: segments.count)
        for segment in segments {
            for source in segment.sources where source != ModelGraph.modelInput { counts[source] += 1 }
        }
        return counts
    }

    /// The end of a chain's layers, leaving out the network's final activation when asked.
    private func end(of range: Range<Int>, segment: Int, skippingFinalActivation: Bool) -> Int {
        let last = segment == segments.count - 1
        return last && skippingFinalActivation && layers[range.upperBound - 1] is ActivationLayer
            ? range.upperBound - 1 : range.upperBound
    }

    /// Runs every segment on its inputs: the chains through `run`, the merges directly.
    private func runSegments(
        _ input: Tensor, skippingFinalActivation: Bool,
        run: (_ segment: Int, _ range: Range<Int>, _ x: Tensor) -> Tensor
    ) -> Tensor {
        var outputs = [Tensor?](repeating: nil, count: segments.count)
        var unread = readCounts
        func read(_ source: Int) -> Tensor {
            guard source != ModelGraph.modelInput else { return input }
            let value = outputs[source]!
            unread[source] -= 1
            if unread[source] == 0 { outputs[source] = nil }
            return value
        }
        for (index, segment) in segments.enumerated() {
            switch segment.kind {
            case .chain(let range):
                let upper = end(of: range, segment: index, skippingFinalActivation: skippingFinalActivation)
                outputs[index] = run(index, range.lowerBound..<upper, read(segment.sources[0]))
            case .merge(let merge):
                outputs[index] = merge.forward(segment.sources.map(read))
            }
        }
        return outputs[segments.count - 1]!
    }

    func graphForward(_ input: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool) -> Tensor {
        var passContext = context
        defer { context = passContext }
        return runSegments(input, skippingFinalActivation: skippingFinalActivation) { _, range, x in
            var y = x
            for layer in layers[range] { y = layer.forward(y, &passContext) }
            return y
        }
    }

    func graphBackward(_ gradOutput: Tensor, _ context: inout PassContext, skippingFinalActivation: Bool) -> Tensor? {
        var gradients = [Tensor?](repeating: nil, count: segments.count)
        gradients[segments.count - 1] = gradOutput
        var inputGradient: Tensor? = nil
        func pass(_ gradient: Tensor, to source: Int) {
            if source == ModelGraph.modelInput {
                guard computesInputGradient else { return }
                Self.accumulate(&inputGradient, gradient)
            } else {
                Self.accumulate(&gradients[source], gradient)
            }
        }
        for index in segments.indices.reversed() {
            guard let gradient = gradients[index] else { continue }
            gradients[index] = nil
            let segment = segments[index]
            switch segment.kind {
            case .chain(let range):
                var g = gradient
                let upper = end(of: range, segment: index, skippingFinalActivation: skippingFinalActivation)
                for layer in layers[range.lowerBound..<upper].reversed() { g = layer.backward(g, &context) }
                pass(g, to: segment.sources[0])
            case .merge(let merge):
                for (source, g) in zip(segment.sources, merge.backward(gradient)) { pass(g, to: source) }
            }
        }
        return inputGradient
    }

    private static func accumulate(_ sum: inout Tensor?, _ gradient: Tensor) {
        if sum == nil {
            sum = gradient
        } else {
            sum!.add(gradient)
        }
    }

    /// Inference over the graph: each chain runs its own fused plan (`InferencePlan`).
    func graphPredict(_ input: Tensor, skippingFinalActivation: Bool, threads: Int) -> Tensor {
        runSegments(input, skippingFinalActivation: skippingFinalActivation) { index, range, x in
            let plan: InferencePlan
            if let current = segmentPlans[index], current.isCurrent(end: range.count) {
                plan = current
            } else {
                plan = InferencePlan(layers: Array(layers[range]), end: range.count)
                segmentPlans[index] = plan
            }
            return plan.run(x, threads: threads)
        }
    }
}
