/// The protocol buffers wire format, the part that writing ONNX needs
/// (protobuf.dev/programming-guides/encoding): each field is a key, the varint
/// `field_number << 3 | wire_type`, then its value: a varint (wire type 0), 4 little-endian
/// bytes (type 5, `float`) or a varint length and that many bytes (type 2: strings, bytes,
/// embedded messages).
///
/// Repeated scalars are written one key per element (unpacked), which every parser must
/// accept for proto2 files such as onnx.proto.
public struct ProtobufWriter: Equatable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A base-128 varint, low group first; negative numbers as their 64-bit two's complement
    /// (ten bytes), as protobuf encodes `int64` and `int32`.
    public mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) {
        appendVarint(UInt64(field) << 3 | wireType)
    }

    /// An `int64`, `int32` or enum field.
    public mutating func int(_ field: Int, _ value: Int) {
        key(field, 0)
        appendVarint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field (fixed 32 bits).
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    public mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    /// An embedded message field.
    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        data(field, inner.bytes)
    }
}
