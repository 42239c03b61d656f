import Foundation

extension SafetensorsFile {
    /// The largest header accepted (the format's own reference reader uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// Reads and checks a file: the header length fits, the header is a JSON object, every
    /// tensor is F32 (or I64) with a shape that matches its byte range, ranges lie inside the data and
    /// neither overlap nor leave gaps. Malformed input throws; it never traps.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 8 else {
            throw SafetensorsError(
                "the file is \(bytes.count) bytes; a safetensors file starts with an 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(Self.maxHeaderBytes), headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError("the header length \(headerLength) does not fit in a \(bytes.count)-byte file")
        }
        let headerEnd = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw SafetensorsError("the header is not valid JSON")
        }
        guard let header = object as? [String: Any] else {
            throw SafetensorsError("the header must be a JSON object of tensor names")
        }
        let dataLength = bytes.count - headerEnd
        var entries: [(name: String, shape: [Int], begin: Int, end: Int, integer: Bool)] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else {
                    throw SafetensorsError("__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw SafetensorsError("tensor '\(name)' needs dtype, shape and data_offsets [begin, end]")
            }
            guard dtype == "F32" || dtype == "I64" else {
                throw SafetensorsError(
                    "tensor '\(name)' has dtype \(dtype); nnserve weights are F32 (float32), counters I64")
            }
            let width = dtype == "I64" ? 8 : 4
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
                throw SafetensorsError("tensor '\(name)' has an invalid shape \(shape)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw SafetensorsError(
                    "tensor '\(name)' has data_offsets [\(begin), \(end)] outside the \(dataLength)-byte data section")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength else {
                    throw SafetensorsError("tensor '\(name)' has shape \(shape), larger than the file's data")
                }
                elements = product
            }
            guard elements * width == end - begin else {
                throw SafetensorsError(
                    "tensor '\(name)' has shape \(shape) (\(elements * width) bytes) but data_offsets span \(end - begin) bytes"
                )
            }
            entries.append((name, shape, begin, end, dtype == "I64"))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for entry in entries where entry.end > entry.begin {
            guard entry.begin == cursor else {
                throw SafetensorsError(
                    entry.begin < cursor
                        ? "tensor '\(entry.name)' overlaps the tensor before it"
                        : "the data section has a gap before tensor '\(entry.name)'")
            }
            cursor = entry.end
        }
        guard cursor == dataLength else {
            throw SafetensorsError("the data section has \(dataLength - cursor) bytes that no tensor uses")
        }
        var tensors: [(name: String, tensor: Tensor)] = []
        var integerTensors: [(name: String, shape: [Int], values: [Int64])] = []
        for entry in entries where entry.integer {
            let values = stride(from: headerEnd + entry.begin, to: headerEnd + entry.end, by: 8).map { at in
                (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
            }
            integerTensors.append((entry.name, entry.shape, values.map { Int64(bitPattern: $0) }))
        }
        for entry in entries where !entry.integer {
            let count = (entry.end - entry.begin) / 4
            var scalars = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let at = headerEnd + entry.begin + i * 4
                let bits =
                    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3])
                    << 24
                scalars[i] = Float(bitPattern: bits)
            }
            tensors.append((entry.name, Tensor(shape: entry.shape, scalars: scalars)))
        }
        self.init(tensors: tensors, integerTensors: integerTensors, metadata: metadata)
    }
}
