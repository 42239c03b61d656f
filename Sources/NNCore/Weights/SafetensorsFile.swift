import Foundation

/// A safetensors file: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the
/// data section) plus optional `__metadata__` strings, then the raw little-endian data.
///
/// Parameters are `F32`; `I64` tensors are read and written as well, because PyTorch's batch
/// norm saves its `num_batches_tracked` counter as one.
public struct SafetensorsFile: Equatable {
    public var tensors: [(name: String, tensor: Tensor)]
    public var integerTensors: [(name: String, shape: [Int], values: [Int64])]
    public var metadata: [String: String]

    public init(
        tensors: [(name: String, tensor: Tensor)], integerTensors: [(name: String, shape: [Int], values: [Int64])] = [],
        metadata: [String: String] = [:]
    ) {
        self.tensors = tensors
        self.integerTensors = integerTensors
        self.metadata = metadata
    }

    public static func == (lhs: SafetensorsFile, rhs: SafetensorsFile) -> Bool {
        lhs.metadata == rhs.metadata && lhs.tensors.map(\.name) == rhs.tensors.map(\.name)
            && lhs.tensors.map(\.tensor) == rhs.tensors.map(\.tensor)
            && lhs.integerTensors.map(\.name) == rhs.integerTensors.map(\.name)
            && lhs.integerTensors.map(\.shape) == rhs.integerTensors.map(\.shape)
            && lhs.integerTensors.map(\.values) == rhs.integerTensors.map(\.values)
    }

    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// The file's bytes. Tensors are laid out in order; the header is padded with spaces to
    /// a multiple of 8 bytes so that the data section is aligned.
    public func encoded() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, tensor) in tensors {
            let bytes = tensor.count * 4
            header[name] =
                ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        for (name, shape, values) in integerTensors {
            let bytes = values.count * 8
            header[name] = ["dtype": "I64", "shape": shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for (_, tensor) in tensors {
            tensor.scalars.withUnsafeBufferPointer { buffer in
                for value in buffer {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
            }
        }
        for (_, _, values) in integerTensors {
            for value in values { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }
}

public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
