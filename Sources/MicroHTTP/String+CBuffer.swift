extension String {
    /// The text of a NUL-terminated C buffer that a libc call (strftime, inet_ntop) filled.
    /// `String(cString:)` on an array is deprecated because it cannot know the array ends in a
    /// NUL; this reads up to the first one, or the whole buffer if there is none.
    init(nulTerminated buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.init(decoding: bytes, as: UTF8.self)
    }
}
