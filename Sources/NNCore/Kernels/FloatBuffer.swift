/// A float buffer owned by one layer and reused from batch to batch, so that the step loops
/// of the recurrent layers allocate nothing (it grows only when a larger batch arrives).
/// Contents are undefined after `reserve` grows it.
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    }

    deinit { pointer.deallocate() }

    /// Room for at least `count` floats.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = max(count, 1)
            pointer = ScratchPool.allocateAligned(capacity)
        }
        return pointer
    }

    /// Room for `count` floats, all zero.
    func reserveZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = reserve(count)
        p.update(repeating: 0, count: count)
        return p
    }
}
