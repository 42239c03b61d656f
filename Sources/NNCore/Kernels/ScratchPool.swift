import Foundation

/// Reusable float buffers for packing GEMM operands, so that hot loops allocate nothing per
/// call after warm-up. Buffers are handed out whole and returned after use.
///
/// `@unchecked Sendable`: `free` is guarded by `lock`.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    private let lock = NSLock()
    private var free: [UnsafeMutableBufferPointer<Float>] = []

    /// Runs `body` with a buffer of at least `count` floats (contents undefined).
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let buffer = take(count: count)
        defer { give(buffer) }
        return body(buffer.baseAddress!)
    }

    private func take(count: Int) -> UnsafeMutableBufferPointer<Float> {
        lock.lock()
        if let index = free.firstIndex(where: { $0.count >= count }) {
            let buffer = free.remove(at: index)
            lock.unlock()
            return buffer
        }
        lock.unlock()
        // Round up so that a slightly larger request later can reuse this buffer.
        let capacity = max(count, 4096).roundedUpToPowerOfTwo
        return UnsafeMutableBufferPointer(start: Self.allocateAligned(capacity), count: capacity)
    }

    private func give(_ buffer: UnsafeMutableBufferPointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < 16 {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }

    /// Packed panels start on a cache line (64 bytes), so that no 64-byte vector load of a
    /// panel spans two lines (split loads cost the AVX-512 kernel about a third of its speed).
    static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }
}

extension Int {
    var roundedUpToPowerOfTwo: Int {
        var value = 1
        while value < self { value <<= 1 }
        return value
    }
}
