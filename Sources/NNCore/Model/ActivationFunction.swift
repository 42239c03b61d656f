/// The activation functions a spec may name.
public enum ActivationFunction: String, Codable, CaseIterable, Sendable {
    case linear, relu, sigmoid, tanh, softmax

    static func parse(_ name: String, path: String) throws -> ActivationFunction {
        guard let function = ActivationFunction(rawValue: name) else {
            let known = allCases.map(\.rawValue).joined(separator: ", ")
            throw SpecError(path: path, "unknown activation '\(name)'; use one of: \(known)")
        }
        return function
    }
}
