#if canImport(Glibc)
import CMalloc
#endif

/// Process-wide allocator settings for training.
///
/// A training step allocates and frees the same large tensors (activations, gradients) over
/// and over. By default glibc serves blocks above 128 KiB with mmap and unmaps them on free,
/// so every step faults in freshly zeroed pages again: about 5% of a CNN step went to page
/// faults. Serving them from the heap and keeping freed memory there makes reuse free; the
/// cost is that up to `trimThreshold` of freed memory stays with the process.
public enum AllocatorTuning {
    /// glibc's largest allowed mmap threshold on 64-bit systems (32 MiB).
    static let mmapThreshold: Int32 = 32 << 20
    static let trimThreshold: Int32 = 256 << 20

    /// Call once at start-up, before the first large allocation. Elsewhere than glibc it
    /// does nothing.
    public static func keepLargeBlocks() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
        #endif
    }
}
