import NNCore

/// The query parameters of `POST /v1/datasets`, parsed and checked once. CSV uploads read
/// them all; JSON uploads carry these fields in the body, but a bad value is refused for
/// either format, so that a typo is never silently ignored.
struct DatasetQuery {
    var name: String?
    var target: String?
    var inputShape: [Int]?
    var drop: Set<String> = []
    var task: String?

    init(_ value: (String) -> String?) throws {
        for key in ["name", "target"] {
            if let text = value(key), text.isEmpty || text.count > 256 {
                throw ServiceError(
                    400, "invalid_query", "\(key) must be 1 to 256 characters; leave it out for its default", path: key)
            }
        }
        name = value("name")
        target = value("target")
        drop = Set((value("drop") ?? "").split(separator: ",").map(String.init))
        if let text = value("task") {
            guard text == "classification" || text == "regression" else {
                throw ServiceError.invalid("task must be classification or regression", path: "task")
            }
            task = text
        }
        if let text = value("input_shape") {
            // Digits only (no sign, no leading zero, no blanks), as the spec's pattern says;
            // then each size and their product are checked against the limits.
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard
                !parts.contains(where: { $0.isEmpty || $0.first == "0" || !$0.allSatisfy { $0.isASCII && $0.isNumber } }
                )
            else {
                throw ServiceError(
                    400, "invalid_query", "input_shape must be positive integers separated by commas, such as 8,8,1",
                    path: "input_shape")
            }
            let sizes = parts.map { Int($0) }
            guard sizes.count <= 3, sizes.allSatisfy({ (1...ModelSpec.maxInputElements).contains($0 ?? 0) }) else {
                throw ServiceError.invalid(
                    "input_shape must be 1 to 3 integers from 1 to \(ModelSpec.maxInputElements) separated by commas",
                    path: "input_shape")
            }
            let shape = sizes.map { $0! }
            _ = try CheckedSize.sampleWidth(shape, path: "input_shape")
            inputShape = shape
        }
    }
}
