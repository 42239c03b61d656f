/// A sweep parameter's name for a field of the job body, as clients write it:
/// `optimizer.learning_rate`, `model.layers[0].units`, `batch_size`. Member names are
/// snake_case identifiers; `[n]` indexes an array.
struct ParameterPath: Equatable, Sendable {
    enum Step: Equatable, Sendable {
        case member(String)
        case index(Int)
    }

    let text: String
    let steps: [Step]

    static let maxLength = 256

    /// Nil when the text does not have that form.
    init?(_ text: String) {
        guard (1...Self.maxLength).contains(text.utf8.count) else { return nil }
        var steps: [Step] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            let open = part.firstIndex(of: "[") ?? part.endIndex
            let name = part[..<open]
            guard let first = name.first, first == "_" || first.isLetter, first.isASCII,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else { return nil }
            steps.append(.member(String(name)))
            var rest = part[open...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
                let digits = rest[rest.index(after: rest.startIndex)..<close]
                guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                    let index = Int(digits)
                else { return nil }
                steps.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        self.text = text
        self.steps = steps
    }

    /// Why the path names no field of `body`, or nil when it does. The last member may be
    /// absent from an object that exists (a field left at its default, such as `batch_size`);
    /// whether the job accepts it is then for the job's own decoder to say.
    func missing(in body: JSONValue) -> String? {
        var value = body
        var walked = ""
        for (position, step) in steps.enumerated() {
            switch step {
            case .member(let name):
                guard let members = value.objectMembers else {
                    return "'\(walked)' is \(value.kindName), not an object with '\(name)'"
                }
                guard let next = members.first(where: { $0.0 == name })?.1 else {
                    if position == steps.count - 1 { return nil }
                    let place = walked.isEmpty ? "the job" : "'\(walked)'"
                    return "\(place) has no field '\(name)'; a parameter must name a field the job gives"
                }
                value = next
                walked += walked.isEmpty ? name : "." + name
            case .index(let index):
                guard let items = value.arrayValue else { return "'\(walked)' is \(value.kindName), not an array" }
                guard index < items.count else {
                    return "'\(walked)' has \(items.count) item\(items.count == 1 ? "" : "s"), so [\(index)] names none"
                }
                value = items[index]
                walked += "[\(index)]"
            }
        }
        return nil
    }

    /// Whether the last member is absent from the body (the job gives no value for it).
    func isAbsent(in body: JSONValue) -> Bool {
        var value = body
        for step in steps {
            switch step {
            case .member(let name):
                guard let next = value[name] else { return true }
                value = next
            case .index(let index):
                guard let items = value.arrayValue, index < items.count else { return true }
                value = items[index]
            }
        }
        return false
    }

    /// `body` with the field set to `value` (added when it is the absent last member); the
    /// path must pass `missing(in:)`.
    func setting(_ value: JSONValue, in body: JSONValue) -> JSONValue {
        Self.set(value, in: body, steps: steps[...])
    }

    private static func set(_ value: JSONValue, in node: JSONValue, steps: ArraySlice<Step>) -> JSONValue {
        guard let step = steps.first else { return value }
        switch (step, node) {
        case let (.member(name), .object(members)):
            guard members.contains(where: { $0.0 == name }) else {
                return steps.count == 1 ? .object(members + [(name, value)]) : node
            }
            return .object(members.map { $0.0 == name ? ($0.0, set(value, in: $0.1, steps: steps.dropFirst())) : $0 })
        case let (.index(index), .array(items)) where index < items.count:
            var copy = items
            copy[index] = set(value, in: items[index], steps: steps.dropFirst())
            return .array(copy)
        default:
            return node
        }
    }
}
