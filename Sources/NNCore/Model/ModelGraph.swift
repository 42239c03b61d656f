/// How a spec's layers connect, resolved from each layer's `name` and `inputs`.
///
/// The layer list is the order of computation: a layer may read the model's input
/// (`"input"`) or layers before it, never itself or a later one, so a graph can have no
/// cycle. Without `inputs` a layer reads the layer before it (the first reads the input), so
/// a plain list is a chain. The last layer is the model's output; every other layer's
/// output must be read by some later layer (an unread branch is almost always a wiring
/// mistake, and it would train nothing).
public struct ModelGraph: Equatable, Sendable {
    /// The source index that stands for the model's input.
    public static let modelInput = -1
    /// The name that stands for the model's input in `inputs`.
    public static let inputName = "input"
    /// The most inputs one layer may list.
    public static let maxInputs = 256

    /// Each layer's name (its index as a string unless the spec names it).
    public var names: [String]
    /// What each layer reads: earlier layer indices, or `modelInput`.
    public var sources: [[Int]]
    /// The later layers that read each layer's output, in order.
    public var readers: [[Int]]

    /// True when every layer reads the one before it: the model is a plain chain.
    public var isChain: Bool {
        sources.enumerated().allSatisfy { index, source in source == [index - 1] }
    }
}

extension ModelSpec {
    /// The spec's wiring, checked: names unique and well formed, every input an earlier
    /// layer or the model's input, one input per layer except merges (two or more), and
    /// every output but the last read. Errors carry paths such as `layers[3].inputs[1]`.
    public func graph() throws -> ModelGraph {
        var names: [String] = []
        var indexByName: [String: Int] = [:]
        for index in layers.indices {
            let name = layerNames[index] ?? String(index)
            if layerNames[index] != nil { try Self.checkName(name, index: index) }
            if let first = indexByName[name] {
                throw SpecError(
                    code: "invalid_graph", path: "layers[\(index)].name",
                    "the name '\(name)' is already used by layers[\(first)]; give each layer its own name")
            }
            indexByName[name] = index
            names.append(name)
        }
        var sources: [[Int]] = []
        var readers = Array(repeating: [Int](), count: layers.count)
        for (index, layer) in layers.enumerated() {
            let source = try resolveInputs(of: index, indexByName: indexByName)
            if layer.isMerge, source.count < 2 {
                throw SpecError(
                    code: "invalid_graph", path: "layers[\(index)].inputs",
                    "a\(layer.typeName == "add" ? "n" : "") \(layer.typeName) layer merges two or more layers; list them in 'inputs', for example [\"a\", \"b\"]"
                )
            }
            if !layer.isMerge, source.count != 1 {
                throw SpecError(
                    code: "invalid_graph", path: "layers[\(index)].inputs",
                    "a \(layer.typeName) layer reads exactly one input, got \(source.count); combine several with an add or concatenate layer first"
                )
            }
            for reader in Set(source) where reader != ModelGraph.modelInput { readers[reader].append(index) }
            sources.append(source)
        }
        for (index, read) in readers.enumerated().dropLast() where read.isEmpty {
            throw SpecError(
                code: "invalid_graph", path: "layers[\(index)]",
                "the output of layer '\(names[index])' is never read; list it in a later layer's 'inputs' or remove the layer (only the last layer is the model's output)"
            )
        }
        return ModelGraph(names: names, sources: sources, readers: readers)
    }

    private func resolveInputs(of index: Int, indexByName: [String: Int]) throws -> [Int] {
        guard let inputs = layerInputs[index] else { return [index - 1] }
        let path = "layers[\(index)].inputs"
        guard !inputs.isEmpty, inputs.count <= ModelGraph.maxInputs else {
            throw SpecError(
                code: "invalid_graph", path: path,
                "'inputs' must list 1 to \(ModelGraph.maxInputs) layer names (or \"input\"), got \(inputs.count)")
        }
        return try inputs.enumerated().map { position, name in
            if name == ModelGraph.inputName { return ModelGraph.modelInput }
            guard let source = indexByName[name] else {
                let known = [ModelGraph.inputName] + layers.indices.prefix(index).map { layerNames[$0] ?? String($0) }
                throw SpecError(
                    code: "invalid_graph", path: "\(path)[\(position)]",
                    "no layer is named '\(name)'; a layer may read \(known.map { "'\($0)'" }.joined(separator: ", "))")
            }
            guard source < index else {
                throw SpecError(
                    code: "invalid_graph", path: "\(path)[\(position)]",
                    "layer '\(name)' is layers[\(source)], not before this one; the list is the order of computation, so move '\(name)' earlier or read another layer"
                )
            }
            return source
        }
    }

    /// Names appear in weight names (`layers.{name}.weight`), so they keep to letters,
    /// digits, `_` and `-`; a name of digits only would clash with another layer's default
    /// name unless it is the layer's own index.
    static func checkName(_ name: String, index: Int) throws {
        let path = "layers[\(index)].name"
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed else {
            throw SpecError(
                path: path, "a layer name has 1 to 64 letters, digits, '_' or '-' (it becomes part of weight names)")
        }
        guard name != ModelGraph.inputName else {
            throw SpecError(path: path, "'input' names the model's input; choose another name for this layer")
        }
        if name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), name != String(index) {
            throw SpecError(
                path: path,
                "a name of digits only must be the layer's own index (\(index)), since unnamed layers are named by index; add a letter"
            )
        }
    }
}
