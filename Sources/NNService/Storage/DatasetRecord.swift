import NNCore

/// A stored data set: inputs as float32 rows, targets as class indices or values.
public struct DatasetRecord: Sendable {
    public enum Target: Codable, Equatable, Sendable {
        case classes(Int)
        case values(shape: [Int])

        enum CodingKeys: String, CodingKey { case kind, classes, shape }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if try c.decode(String.self, forKey: .kind) == "classes" {
                self = .classes(try c.decode(Int.self, forKey: .classes))
            } else {
                self = .values(shape: try c.decode([Int].self, forKey: .shape))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .classes(count):
                try c.encode("classes", forKey: .kind)
                try c.encode(count, forKey: .classes)
            case let .values(shape):
                try c.encode("values", forKey: .kind)
                try c.encode(shape, forKey: .shape)
            }
        }
    }

    public var id: String
    public var name: String
    public var rows: Int
    public var inputShape: [Int]
    public var target: Target
    public var bytes: Int
    public var createdAt: String

    /// The description the API answers with.
    public struct Description: Codable, Sendable {
        var id: String
        var name: String
        var rows: Int
        var input_shape: [Int]
        var target: Target
        var bytes: Int
        var created_at: String
    }

    public var description: Description {
        Description(
            id: id, name: name, rows: rows, input_shape: inputShape, target: target, bytes: bytes, created_at: createdAt
        )
    }
}

/// A data set ready to store: its description plus the samples.
public struct DatasetUpload: Sendable {
    public var name: String
    public var inputShape: [Int]
    public var inputs: [Float]
    public var targets: [Float]
    public var target: DatasetRecord.Target

    public init(name: String, inputShape: [Int], inputs: [Float], targets: [Float], target: DatasetRecord.Target) {
        self.name = name
        self.inputShape = inputShape
        self.inputs = inputs
        self.targets = targets
        self.target = target
    }

    public var rows: Int { inputs.count / max(inputShape.reduce(1, *), 1) }

    /// The samples as the core's data set.
    public func dataset() -> Dataset {
        let n = rows
        let input = Tensor(shape: [n] + inputShape, scalars: inputs)
        switch target {
        case let .classes(count):
            return Dataset(inputs: input, targets: .classes(targets.map { Int32($0) }, count: count))
        case let .values(shape):
            return Dataset(inputs: input, targets: .values(Tensor(shape: [n] + shape, scalars: targets)))
        }
    }
}
