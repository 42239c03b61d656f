import CZlib

/// Inflates a gzip body piece by piece as it arrives (RFC 1952), with the same rules as
/// `Gzip.decompress`: at most `limit` bytes of output in all (a zip bomb costs no more), and
/// concatenated members inflated in turn (RFC 1952 §2.2). Not thread-safe: one body's feed uses it
/// from one thread at a time.
final class GzipInflater {
    private var stream = z_stream()
    private let limit: Int
    private var produced = 0
    private var ready = false
    /// The last member ended and no byte of another has come yet.
    private var atMemberEnd = false
    private var piece = [UInt8](repeating: 0, count: 64 * 1024)

    init(limit: Int) throws {
        self.limit = limit
        guard czlib_inflate_init2(&stream, 15 + 16) == Z_OK else { throw HTTPError.internalError }
        ready = true
    }

    deinit { if ready { inflateEnd(&stream) } }

    /// Inflates `input`, handing each piece of output to `output` (which returns false to take
    /// no more: inflating stops there).
    func inflate(_ input: UnsafeRawBufferPointer, into output: (UnsafeRawBufferPointer) -> Bool) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = uInt(input.count)
        // Until the input is used up and zlib holds no more output (a full piece may mean more).
        repeat {
            if atMemberEnd {
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw HTTPError.invalidCompressedBody("bad member") }
                atMemberEnd = false
            }
            let (status, count) = piece.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out))
            }
            produced += count
            if produced > limit { throw HTTPError.contentTooLarge(limit: limit) }
            if count > 0, !piece.withUnsafeBytes({ output(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) {
                return
            }
            switch status {
            case Z_STREAM_END: atMemberEnd = true
            case Z_OK: break
            // No progress without more input.
            case Z_BUF_ERROR: return
            case Z_DATA_ERROR: throw HTTPError.invalidCompressedBody("not gzip data, or corrupted")
            default: throw HTTPError.invalidCompressedBody("zlib error \(status)")
            }
        } while stream.avail_in > 0 || stream.avail_out == 0
    }

    /// The body ended: it must end where a member does.
    func finish() throws {
        guard atMemberEnd else { throw HTTPError.invalidCompressedBody("the data ends before the gzip stream does") }
    }
}
