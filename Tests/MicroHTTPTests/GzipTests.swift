import MicroHTTP
import XCTest

final class GzipTests: XCTestCase {
    func testRoundTrip() throws {
        let text = Array(String(repeating: "{\"loss\": 0.125}, ", count: 500).utf8)
        let compressed = Gzip.compress(text)
        XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B], "gzip magic")
        XCTAssertLessThan(compressed.count, text.count / 10)
        XCTAssertEqual(try Gzip.decompress(compressed, limit: text.count), text)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([]), limit: 0), [])
    }

    func testInflatedSizeLimitAtNAndNPlusOne() {
        let data = [UInt8](repeating: 7, count: 100_000)
        let compressed = Gzip.compress(data)
        XCTAssertNoThrow(try Gzip.decompress(compressed, limit: 100_000))
        XCTAssertThrowsError(try Gzip.decompress(compressed, limit: 99_999)) {
            XCTAssertEqual($0 as? HTTPError, .contentTooLarge(limit: 99_999))
        }
    }

    func testConcatenatedMembers() throws {
        let joined = Gzip.compress(Array("hello ".utf8)) + Gzip.compress(Array("world".utf8))
        XCTAssertEqual(try Gzip.decompress(joined, limit: 100), Array("hello world".utf8))
    }

    func testInvalidAndTruncatedData() {
        XCTAssertThrowsError(try Gzip.decompress(Array("not gzip at all".utf8), limit: 100)) {
            XCTAssertEqual(($0 as? HTTPError)?.status, .badRequest)
        }
        let compressed = Gzip.compress(Array(String(repeating: "abc", count: 100).utf8))
        XCTAssertThrowsError(try Gzip.decompress(Array(compressed.dropLast(10)), limit: 1000)) {
            XCTAssertEqual(($0 as? HTTPError)?.code, "invalid_compressed_body")
        }
    }

    func testAcceptEncodingNegotiation() {
        XCTAssertTrue(HTTPCompression.acceptsGzip("gzip"))
        XCTAssertTrue(HTTPCompression.acceptsGzip("deflate, GZIP;q=0.5"))
        XCTAssertTrue(HTTPCompression.acceptsGzip("x-gzip"))
        XCTAssertTrue(HTTPCompression.acceptsGzip("*"))
        XCTAssertFalse(HTTPCompression.acceptsGzip("gzip;q=0"))
        XCTAssertFalse(HTTPCompression.acceptsGzip("gzip; q=0.000, *"))
        XCTAssertFalse(HTTPCompression.acceptsGzip("*;q=0"))
        XCTAssertFalse(HTTPCompression.acceptsGzip("br, identity"))
        XCTAssertFalse(HTTPCompression.acceptsGzip(nil))
    }

    func testCompressibleTypes() {
        XCTAssertTrue(HTTPCompression.isCompressible("application/json"))
        XCTAssertTrue(HTTPCompression.isCompressible("text/csv; charset=utf-8"))
        XCTAssertTrue(HTTPCompression.isCompressible("application/problem+json"))
        XCTAssertFalse(HTTPCompression.isCompressible("application/octet-stream"))
        XCTAssertFalse(HTTPCompression.isCompressible("image/png"))
        XCTAssertFalse(HTTPCompression.isCompressible("text/event-stream"))
    }
}
