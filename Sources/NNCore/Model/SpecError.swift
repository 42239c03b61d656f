/// A model spec or training request that cannot be used, with the JSON path of the field at
/// fault (`layers[2].units`) and a message that says how to fix it.
public struct SpecError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A stable snake_case code (`invalid_field`, `unknown_field`, `shape_mismatch`, …).
    public var code: String
    public var path: String
    public var message: String

    public init(code: String = "invalid_field", path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// The same error under a parent path (`model` + `layers[1].units`).
    public func prefixed(_ parent: String) -> SpecError {
        var copy = self
        copy.path = path.isEmpty ? parent : (path.hasPrefix("[") ? parent + path : parent + "." + path)
        return copy
    }
}
