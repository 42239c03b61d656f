import CZlib

/// gzip (RFC 1952) through zlib: compressing response bodies and inflating request bodies
/// with a cap on the inflated size.
public enum Gzip {
    /// zlib's windowBits: 15 (32 KiB window) + 16 selects the gzip wrapper.
    private static let gzipWindowBits: Int32 = 15 + 16

    /// Compresses `bytes` into one gzip member. `level` is zlib's 1 (fast) … 9 (small).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard czlib_deflate_init2(&stream, level, gzipWindowBits, 8) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        // deflateBound covers the zlib wrapper; gzip's header and trailer add 18 bytes more.
        let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let result: Int32 = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { return [] }
        output.removeLast(output.count - Int(stream.total_out))
        return output
    }

    /// Inflates a gzip body. Throws `.contentTooLarge(limit:)` as soon as the output would pass
    /// `limit` (so a zip bomb costs at most `limit` bytes of memory) and
    /// `.invalidCompressedBody` for data that is not gzip or ends early. Concatenated members
    /// are inflated in turn (RFC 1952 §2.2).
    public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init2(&stream, gzipWindowBits) == Z_OK else { throw HTTPError.internalError }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 64 * 1024)
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, produced) = piece.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                if output.count + produced > limit { throw HTTPError.contentTooLarge(limit: limit) }
                output.append(contentsOf: piece[0..<produced])
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    guard inflateReset(&stream) == Z_OK else { throw HTTPError.invalidCompressedBody("bad member") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw HTTPError.invalidCompressedBody("the data ends before the gzip stream does")
                case Z_DATA_ERROR:
                    throw HTTPError.invalidCompressedBody("not gzip data, or corrupted")
                default:
                    if produced == 0 { throw HTTPError.invalidCompressedBody("zlib error \(status)") }
                }
            }
        }
        return output
    }
}
