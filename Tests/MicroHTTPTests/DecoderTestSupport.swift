import MicroHTTP
import XCTest

/// What decoding a byte stream produced: the complete requests, then the error if one ended it.
struct DecodeOutcome: Equatable {
    struct Request: Equatable {
        var head: HTTPRequestHead
        var body: [UInt8]
    }
    var requests: [Request] = []
    var error: HTTPError?
    /// True when the stream ended in the middle of a request without an error yet.
    var incomplete = false
}

/// Feeds `raw` in pieces of `step` bytes (all at once when nil) and collects the outcome.
func decode(_ raw: String, limits: HTTPLimits = HTTPLimits(), step: Int? = nil) -> DecodeOutcome {
    decode(Array(raw.utf8), limits: limits, step: step)
}

func decode(_ raw: [UInt8], limits: HTTPLimits = HTTPLimits(), step: Int? = nil) -> DecodeOutcome {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcome = DecodeOutcome()
    var current: DecodeOutcome.Request?
    let size = step ?? max(raw.count, 1)
    var offset = 0
    repeat {
        let end = min(offset + size, raw.count)
        decoder.feed(raw[offset..<end])
        offset = end
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let head): current = .init(head: head, body: [])
                case .body(let bytes): current?.body += bytes
                case .end:
                    if let done = current { outcome.requests.append(done) }
                    current = nil
                }
            }
        } catch let error as HTTPError {
            outcome.error = error
            return outcome
        } catch {
            XCTFail("unexpected error \(error)")
            return outcome
        }
    } while offset < raw.count
    outcome.incomplete = !decoder.isAtMessageBoundary
    return outcome
}

/// Decodes all at once and one byte at a time, checks both agree, and returns the outcome.
func decodeBothWays(
    _ raw: String, limits: HTTPLimits = HTTPLimits(), file: StaticString = #filePath, line: UInt = #line
) -> DecodeOutcome {
    let whole = decode(raw, limits: limits)
    let bytewise = decode(raw, limits: limits, step: 1)
    XCTAssertEqual(whole, bytewise, "feeding one byte at a time changed the outcome", file: file, line: line)
    return whole
}

/// A table row: a raw request and the status it must produce (200 meaning "decodes").
struct DecoderCase {
    let name: String
    let raw: String
    let status: Int
    var limits = HTTPLimits()
    var body: String? = nil

    func check(file: StaticString = #filePath, line: UInt = #line) {
        let outcome = decodeBothWays(raw, limits: limits, file: file, line: line)
        if status == 200 {
            XCTAssertNil(outcome.error, "\(name): \(String(describing: outcome.error))", file: file, line: line)
            XCTAssertEqual(outcome.requests.count, 1, "\(name)", file: file, line: line)
            if let body, let request = outcome.requests.first {
                XCTAssertEqual(String(decoding: request.body, as: UTF8.self), body, "\(name)", file: file, line: line)
            }
        } else {
            XCTAssertEqual(
                outcome.error?.status.code, status, "\(name): got \(String(describing: outcome.error))", file: file,
                line: line)
            if let error = outcome.error {
                XCTAssertFalse(error.message.isEmpty, file: file, line: line)
            }
        }
    }
}
