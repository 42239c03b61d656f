/// A dense float32 tensor in row-major order with an explicit shape.
///
/// Shape legend used across NNCore: `[N, F]` feature rows, `[N, H, W, C]` channels-last
/// images, `[N, T, F]` sequences. The first axis is the batch unless a type says otherwise.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor whose scalars are left unset, for a kernel that is about to write every one
    /// of them (layer outputs, input gradients): it skips zeroing memory that is overwritten
    /// anyway. Reading a scalar before it is written gives an arbitrary value.
    init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        // No storage for an empty tensor: Array(unsafeUninitializedCapacity: 0) writes into the
        // runtime's shared empty-array singleton, a race between threads in ThreadSanitizer's eyes.
        self.scalars =
            count == 0 ? [] : [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor over existing scalars; their count must match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The size of the first axis (the batch), or 1 for a scalar.
    public var batchSize: Int { shape.first ?? 1 }

    /// Number of scalars per sample (everything after the first axis).
    public var sampleSize: Int { shape.dropFirst().reduce(1, *) }

    /// The same scalars under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Reshapes in place, keeping the scalars.
    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == scalars.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    /// Rows `range` of the first axis as a new tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        let stride = sampleSize
        var newShape = shape
        newShape[0] = range.count
        return Tensor(
            shape: newShape,
            scalars: Array(scalars[(range.lowerBound * stride)..<(range.upperBound * stride)]))
    }

    /// The rows at `indices` of the first axis, in that order.
    public func gathering(rows indices: [Int]) -> Tensor {
        let stride = sampleSize
        var newShape = shape
        newShape[0] = indices.count
        var out = [Float](repeating: 0, count: indices.count * stride)
        scalars.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < batchSize, "row \(index) out of range")
                    dst.baseAddress!.advanced(by: row * stride)
                        .update(from: src.baseAddress!.advanced(by: index * stride), count: stride)
                }
            }
        }
        return Tensor(shape: newShape, scalars: out)
    }

    /// Sets every scalar to zero, keeping the shape and the allocation.
    public mutating func zero() {
        scalars.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// The squared L2 norm: 8-lane float sums over blocks of 1,024 values, each block added
    /// into a Double, in a fixed order (so the result never depends on threads).
    public var squaredNorm: Double {
        scalars.withUnsafeBufferPointer { buffer in
            let raw = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!)
            var total = 0.0
            var start = 0
            while start < buffer.count {
                let end = min(buffer.count, start + 1024)
                var lanes = SIMD8<Float>()
                var i = start
                while i + 8 <= end {
                    let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    lanes.addProduct(v, v)
                    i += 8
                }
                var block = Double(lanes.sum())
                while i < end {
                    block += Double(buffer[i]) * Double(buffer[i])
                    i += 1
                }
                total += block
                start = end
            }
            return total
        }
    }

    /// True when every scalar is finite.
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}
