/// A piece of a network's graph: a chain of layers, each reading the one before and read by
/// nothing else, or a merge of several pieces' outputs. A plain list of layers is one chain,
/// which runs exactly as before graphs existed; the fused inference paths work on each
/// chain, so a convolution, its batch norm and ReLU fuse wherever no branch reads between.
struct NetworkSegment {
    enum Kind {
        /// The network's layers in this range, in order.
        case chain(Range<Int>)
        case merge(MergeLayer)
    }

    var kind: Kind
    /// The earlier segments read (or `ModelGraph.modelInput`), one per input.
    var sources: [Int]
    /// The last spec layer the segment computes (its output is that layer's).
    var lastSpecLayer: Int

    /// Splits the spec's layers (`ranges`: the network's layers built for each) into segments.
    /// A spec layer continues the chain before it when it reads only the previous layer and
    /// is its only reader, and neither is a merge.
    static func split(spec: ModelSpec, graph: ModelGraph, ranges: [Range<Int>]) -> [NetworkSegment] {
        var segments: [NetworkSegment] = []
        var segmentOf: [Int] = []
        func segment(_ source: Int) -> Int { source == ModelGraph.modelInput ? source : segmentOf[source] }
        for (index, layer) in spec.layers.enumerated() {
            let continues =
                index > 0 && !layer.isMerge && !spec.layers[index - 1].isMerge && graph.sources[index] == [index - 1]
                && graph.readers[index - 1] == [index]
            if continues, case .chain(let range) = segments[segments.count - 1].kind {
                segments[segments.count - 1].kind = .chain(range.lowerBound..<ranges[index].upperBound)
                segments[segments.count - 1].lastSpecLayer = index
            } else if case .concatenate(let axis) = layer {
                segments.append(
                    NetworkSegment(
                        kind: .merge(ConcatenateLayer(axis: axis)), sources: graph.sources[index].map(segment),
                        lastSpecLayer: index))
            } else if layer.isMerge {
                segments.append(
                    NetworkSegment(
                        kind: .merge(AddLayer()), sources: graph.sources[index].map(segment), lastSpecLayer: index))
            } else {
                segments.append(
                    NetworkSegment(
                        kind: .chain(ranges[index]), sources: graph.sources[index].map(segment), lastSpecLayer: index))
            }
            segmentOf.append(segments.count - 1)
        }
        return segments
    }
}
