import NNCore
import XCTest

/// The wire format against known encodings (protobuf.dev/programming-guides/encoding) and
/// small ONNX messages against bytes worked out by hand from onnx.proto's field numbers.
final class ProtobufWriterTests: XCTestCase {
    func testVarintsMatchTheSpecificationsExamples() {
        var one = ProtobufWriter()
        one.int(1, 150)
        XCTAssertEqual(one.bytes, [0x08, 0x96, 0x01], "the guide's first example: field 1 = 150")
        var small = ProtobufWriter()
        small.appendVarint(300)
        small.appendVarint(0)
        small.appendVarint(127)
        small.appendVarint(128)
        XCTAssertEqual(small.bytes, [0xAC, 0x02, 0x00, 0x7F, 0x80, 0x01])
        var negative = ProtobufWriter()
        negative.int(3, -1)
        XCTAssertEqual(negative.bytes, [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01], "int64 -1 is ten bytes")
        var big = ProtobufWriter()
        big.appendVarint(UInt64.max)
        XCTAssertEqual(big.bytes.count, 10)
    }

    func testLengthDelimitedFloatAndNestedFields() {
        var text = ProtobufWriter()
        text.string(2, "testing")
        XCTAssertEqual(
            text.bytes, [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67], "the guide's string example")
        var nested = ProtobufWriter()
        nested.message(3) { $0.int(1, 150) }
        XCTAssertEqual(nested.bytes, [0x1A, 0x03, 0x08, 0x96, 0x01], "the guide's embedded message example")
        var float = ProtobufWriter()
        float.float(2, 1)
        XCTAssertEqual(float.bytes, [0x15, 0x00, 0x00, 0x80, 0x3F])
        var long = ProtobufWriter()
        long.data(9, [UInt8](repeating: 7, count: 200))
        XCTAssertEqual(Array(long.bytes.prefix(3)), [0x4A, 0xC8, 0x01], "a length past 127 takes two bytes")
        XCTAssertEqual(long.bytes.count, 203)
    }

    func testAnOnnxModelOfOneNode() {
        var graph = ONNXGraph(name: "g", input: ("x", [nil, 2]), output: ("y", [nil, 2]))
        graph.nodes.append(.init(op: "Relu", inputs: ["x"], outputs: ["y"], attributes: [.ints("perm", [0, -1])]))
        graph.initializers.append(.init(name: "k", dims: [1], integers: [5]))
        let bytes = graph.modelBytes(producerVersion: "1")
        let node: [UInt8] =
            [0x0A, 0x01, 0x78, 0x12, 0x01, 0x79, 0x1A, 0x06] + Array("Relu_0".utf8) + [0x22, 0x04] + Array("Relu".utf8)
            + [0x2A, 0x16, 0x0A, 0x04] + Array("perm".utf8) + [0x40, 0x00, 0x40] + [UInt8](repeating: 0xFF, count: 9)
            + [0x01, 0xA0, 0x01, 0x07]
        let initializer: [UInt8] = [0x08, 0x01, 0x10, 0x07, 0x42, 0x01, 0x6B, 0x4A, 0x08, 5, 0, 0, 0, 0, 0, 0, 0]
        func valueInfo(_ name: UInt8) -> [UInt8] {
            // name, type { tensor_type { elem_type 1, shape { dim { dim_param "batch" }, dim { dim_value 2 } } } }
            let dims: [UInt8] = [0x0A, 0x07, 0x12, 0x05] + Array("batch".utf8) + [0x0A, 0x02, 0x08, 0x02]
            let shape: [UInt8] = [0x12, UInt8(dims.count)] + dims
            let tensor: [UInt8] = [0x08, 0x01] + shape
            let type: [UInt8] = [0x0A, UInt8(tensor.count)] + tensor
            return [0x0A, 0x01, name, 0x12, UInt8(type.count)] + type
        }
        var graphBytes: [UInt8] = [0x0A, UInt8(node.count)] + node + [0x12, 0x01, 0x67]
        graphBytes += [0x2A, UInt8(initializer.count)] + initializer
        let input = valueInfo(0x78), output = valueInfo(0x79)
        graphBytes += [0x5A, UInt8(input.count)] + input + [0x62, UInt8(output.count)] + output
        var expected: [UInt8] = [0x08, 0x08, 0x12, 0x07] + Array("nnserve".utf8) + [0x1A, 0x01, 0x31]
        expected += [0x3A, UInt8(graphBytes.count)] + graphBytes
        expected += [0x42, 0x04, 0x0A, 0x00, 0x10, 0x11]
        XCTAssertEqual(bytes, expected)
    }
}
