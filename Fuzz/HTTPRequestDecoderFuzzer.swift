// libFuzzer entry point for HTTPRequestDecoder, built by scripts/fuzz-http.sh together with the
// decoder's source files (not through SwiftPM, which has no fuzzer sanitizer mode on Linux).
//
// Input: the first byte picks a piece size, the rest is the raw byte stream. Each input is
// decoded twice, whole and in pieces, and the two runs must agree event for event; a declared
// Content-Length must match the body delivered. Any disagreement or crash is a finding.

/// The events of one run with body parts merged, so that piece boundaries do not matter.
struct FuzzRun: Equatable {
    var heads: [HTTPRequestHead] = []
    var bodies: [[UInt8]] = []
    var ends = 0
    var error: HTTPError?
}

func fuzzDecode(_ bytes: ArraySlice<UInt8>, piece: Int, limits: HTTPLimits) -> FuzzRun {
    var decoder = HTTPRequestDecoder(limits: limits)
    var run = FuzzRun()
    var offset = bytes.startIndex
    while offset < bytes.endIndex {
        let end = min(offset + piece, bytes.endIndex)
        decoder.feed(bytes[offset..<end])
        offset = end
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let head):
                    run.heads.append(head)
                    run.bodies.append([])
                case .body(let part):
                    if part.isEmpty { fatalError("empty body event") }
                    run.bodies[run.bodies.count - 1] += part
                case .end:
                    run.ends += 1
                    let head = run.heads[run.heads.count - 1]
                    let body = run.bodies[run.bodies.count - 1]
                    if case .contentLength(let length) = head.framing, length != body.count {
                        fatalError("Content-Length \(length) but body of \(body.count) bytes")
                    }
                    if body.count > limits.maxBodyBytes { fatalError("body over the limit") }
                }
            }
        } catch let error as HTTPError {
            run.error = error
            return run
        } catch {
            fatalError("decoder threw a non-HTTPError: \(error)")
        }
    }
    return run
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let piece = 1 + Int(input[0] % 16)
    let bytes = input[1...]
    // Small limits so that short inputs reach every limit branch.
    let limits = HTTPLimits(maxRequestLineBytes: 48, maxHeaderSectionBytes: 160, maxHeaderFields: 6, maxBodyBytes: 96)
    let whole = fuzzDecode(bytes, piece: max(bytes.count, 1), limits: limits)
    let pieces = fuzzDecode(bytes, piece: piece, limits: limits)
    if whole != pieces {
        fatalError("whole and piecewise decoding disagree: \(whole) vs \(pieces)")
    }
    return 0
}
