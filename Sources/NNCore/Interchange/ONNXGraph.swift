/// The parts of an ONNX model (github.com/onnx/onnx, onnx/onnx.proto) that an exported
/// nnserve network uses, each with its protobuf encoding. Field numbers are onnx.proto's.
public struct ONNXGraph {
    /// An operator: `op_type` over named inputs, giving named outputs.
    public struct Node {
        public var op: String
        public var inputs: [String]
        public var outputs: [String]
        public var attributes: [Attribute]

        public init(op: String, inputs: [String], outputs: [String], attributes: [Attribute] = []) {
            self.op = op
            self.inputs = inputs
            self.outputs = outputs
            self.attributes = attributes
        }

        func encode(_ w: inout ProtobufWriter, name: String) {
            for input in inputs { w.string(1, input) }
            for output in outputs { w.string(2, output) }
            w.string(3, name)
            w.string(4, op)
            for attribute in attributes { w.message(5) { attribute.encode(&$0) } }
        }
    }

    /// A node attribute: AttributeProto with its `type` (FLOAT 1, INT 2, STRING 3, INTS 7, STRINGS 8).
    public enum Attribute {
        case int(String, Int)
        case float(String, Float)
        case ints(String, [Int])
        case strings(String, [String])

        func encode(_ w: inout ProtobufWriter) {
            switch self {
            case let .int(name, value):
                w.string(1, name)
                w.int(3, value)
                w.int(20, 2)
            case let .float(name, value):
                w.string(1, name)
                w.float(2, value)
                w.int(20, 1)
            case let .ints(name, values):
                w.string(1, name)
                for value in values { w.int(8, value) }
                w.int(20, 7)
            case let .strings(name, values):
                w.string(1, name)
                for value in values { w.data(9, Array(value.utf8)) }
                w.int(20, 8)
            }
        }
    }

    /// A constant: TensorProto with `dims`, `data_type` (FLOAT 1, INT64 7) and `raw_data`
    /// (little-endian values, as onnx.proto specifies for raw_data).
    public struct Initializer {
        public var name: String
        public var dims: [Int]
        public var floats: [Float]?
        public var integers: [Int64]?

        public init(name: String, dims: [Int], floats: [Float]? = nil, integers: [Int64]? = nil) {
            self.name = name
            self.dims = dims
            self.floats = floats
            self.integers = integers
        }

        func encode(_ w: inout ProtobufWriter) {
            for dim in dims { w.int(1, dim) }
            w.int(2, floats != nil ? 1 : 7)
            w.string(8, name)
            var raw: [UInt8] = []
            for value in floats ?? [] {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) }
            }
            for value in integers ?? [] { withUnsafeBytes(of: value.littleEndian) { raw.append(contentsOf: $0) } }
            w.data(9, raw)
        }
    }

    public var name: String
    public var nodes: [Node] = []
    public var initializers: [Initializer] = []
    /// The graph's input and output: a name and a float tensor shape, a nil dimension
    /// being the symbolic `batch`.
    public var input: (name: String, shape: [Int?])
    public var output: (name: String, shape: [Int?])

    public init(name: String, input: (name: String, shape: [Int?]), output: (name: String, shape: [Int?])) {
        self.name = name
        self.input = input
        self.output = output
    }

    /// ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1, shape 2:
    /// TensorShapeProto { dim 1: { dim_value 1 | dim_param 2 } } } } }.
    static func encodeValueInfo(_ w: inout ProtobufWriter, name: String, shape: [Int?]) {
        w.string(1, name)
        w.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, 1)
                tensor.message(2) { dims in
                    for dim in shape {
                        dims.message(1) { d in
                            if let dim { d.int(1, dim) } else { d.string(2, "batch") }
                        }
                    }
                }
            }
        }
    }

    /// GraphProto: node 1, name 2, initializer 5, input 11, output 12.
    func encode(_ w: inout ProtobufWriter) {
        for (index, node) in nodes.enumerated() { w.message(1) { node.encode(&$0, name: "\(node.op)_\(index)") } }
        w.string(2, name)
        for initializer in initializers { w.message(5) { initializer.encode(&$0) } }
        w.message(11) { Self.encodeValueInfo(&$0, name: input.name, shape: input.shape) }
        w.message(12) { Self.encodeValueInfo(&$0, name: output.name, shape: output.shape) }
    }

    /// The opset the exported operators are defined in (Squeeze takes `axes` as an input
    /// from 13 on) and the IR version that goes with it.
    public static let opset = 17
    public static let irVersion = 8

    /// ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
    /// (OperatorSetIdProto { domain 1, version 2 }; the empty domain is ai.onnx).
    public func modelBytes(producerVersion: String) -> [UInt8] {
        var w = ProtobufWriter()
        w.int(1, Self.irVersion)
        w.string(2, "nnserve")
        w.string(3, producerVersion)
        w.message(7) { encode(&$0) }
        w.message(8) { opset in
            opset.string(1, "")
            opset.int(2, Self.opset)
        }
        return w.bytes
    }
}
