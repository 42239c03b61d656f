import Foundation
import MicroHTTP
import NNService
import XCTest

/// Uploads are parsed as their bytes arrive. Sent in chunks of one byte (each its own part for
/// the parser) they store the same data set and fail with the same error, naming the same path,
/// as when sent whole; gzip bodies inflate on the way; a client that leaves stores nothing.
final class DatasetStreamingTests: XCTestCase {
    /// The body in chunks of `size` bytes (RFC 9112 §7.1), so the parser gets it in such pieces.
    private func chunkedUpload(
        _ service: ServiceHarness, _ body: [UInt8], size: Int = 1, type: String = "application/json",
        query: String = "", headers: String = ""
    ) throws -> TestClient.Response {
        let connection = try RawConnection(port: service.server.port)
        var bytes = Array(
            ("POST /v1/datasets\(query) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: \(type)\r\n"
                + "Transfer-Encoding: chunked\r\n\(headers)\r\n").utf8)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + size)
            bytes += Array("\(String(end - offset, radix: 16))\r\n".utf8) + body[offset..<end] + [13, 10]
            offset = end
        }
        bytes += Array("0\r\n\r\n".utf8)
        connection.send(bytes)
        connection.readUntilClosed(timeout: 30)
        return try TestClient.parse(connection.received)
    }

    private func wholeUpload(
        _ service: ServiceHarness, _ body: [UInt8], type: String = "application/json", query: String = ""
    ) throws -> TestClient.Response {
        try service.client.request("POST", "/v1/datasets\(query)", body: body, contentType: type)
    }

    private func stored(_ service: ServiceHarness, _ response: TestClient.Response) throws -> [Float] {
        let id = try XCTUnwrap(response.object["id"] as? String, response.text)
        let dataset = try XCTUnwrap(try service.store.loadDataset(id))
        return dataset.inputs.scalars
    }

    private func assertSameOutcome(
        _ service: ServiceHarness, _ text: String, type: String = "application/json", query: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let body = Array(text.utf8)
        let whole = try wholeUpload(service, body, type: type, query: query)
        let pieces = try chunkedUpload(service, body, type: type, query: query)
        XCTAssertEqual(pieces.status, whole.status, "\(text): \(pieces.text)", file: file, line: line)
        if whole.status == 201 {
            for key in ["rows", "input_shape", "bytes", "target", "name"] {
                XCTAssertEqual(
                    pieces.object[key] as? NSObject, whole.object[key] as? NSObject, "\(key) of \(text)", file: file,
                    line: line)
            }
            XCTAssertEqual(try stored(service, pieces), try stored(service, whole), text, file: file, line: line)
        } else {
            XCTAssertEqual(pieces.text, whole.text, text, file: file, line: line)
        }
    }

    func testJSONSentOneByteAtATimeStoresTheSameDataSetAndFailsTheSameWay() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let cases = [
            #" { "name" : "caf\u00e9 \"q\"" , "inputs": [ [ [1.5e-3], [ -2 ] ] , [[3.25E+2],[0]] ], "targets": [[0.5],[1]], "input_shape": [2, 1], "task": "regression" } "#,
            #"{"targets": [0, 1, 2], "inputs": [[1, 2, 3], [4, 5, 6], [7, 8, 9.000000000000001]]}"#,
            #"{"inputs": [[[1], [2]], [[3]]], "targets": [0, 1], "input_shape": [2, 1]}"#,
            #"{"inputs": [[1, true]], "targets": [0]}"#,
            #"{"inputs": [[1, -1e39]], "targets": [0]}"#,
            #"{"inputs": [[1, 2]], "targets": [0]} x"#,
            #"{"inputs": [[1, 02]], "targets": [0]}"#,
            #"{"inputs": [[1, 2]"#,
            #"{"name": "a\"#,
            #"{"inputs": [[1]], "targets": [0], "extra": 1}"#,
            #"{"inputs": [[1]], "targets": [0, 1]}"#,
            "[1, 2]",
            "[1, 2",
            "   ",
        ]
        let before = try service.counts()
        for text in cases { try assertSameOutcome(service, text) }
        XCTAssertEqual(try service.counts()[0] - before[0], 4, "two data sets stored twice, nothing else")
    }

    func testCSVSentOneByteAtATimeStoresTheSameDataSetAndFailsTheSameWay() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let cases: [(String, String)] = [
            ("a, b ,split,y\r\n1,2.5,train,0\r\n-3e2,0.125,test,1\r\n\r\n  \n", "?drop=split&name=n"),
            ("x,y\n1,0\n\n2,1\n", ""),
            ("x,y\n1,0\n2\n", ""),
            ("x,y\n1,zero\n", ""),
            ("x,y\n1,0\n", "?target=z"),
            ("x,y\n", ""),
            ("\n \n", ""),
            ("x,y\n1,nan\n2,\u{FF}\n", ""),
            ("x,y,z\n1,2,3\n4,5,6\n", "?input_shape=2,1&target=x"),
        ]
        for (text, query) in cases { try assertSameOutcome(service, text, type: "text/csv", query: query) }
        // Not UTF-8 after a bad cell: the body as a whole is refused first, as when read at once.
        var bytes = Array("x,y\n1,zero\n2,".utf8) + [0xFF, 0x0A]
        bytes += Array("3,1\n".utf8)
        let response = try chunkedUpload(service, bytes, type: "text/csv")
        XCTAssertEqual(response.status, 400, response.text)
        XCTAssertEqual(response.errorCode, "malformed_csv")
    }

    func testAWideRowInSmallPiecesIsReadOnceItIsComplete() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let row = (0..<60_000).map { String(format: "%.4f", Double($0 % 977) / 977) }.joined(separator: ",")
        let text = #"{"inputs": [[\#(row)], [\#(row)]], "targets": [0, 1]}"#
        let started = Date()
        let response = try chunkedUpload(service, Array(text.utf8), size: 7)
        XCTAssertEqual(response.status, 201, response.text)
        XCTAssertEqual(response.object["input_shape"] as? [Int], [60_000])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "a row split in pieces is not re-read for each")
        let floats = try stored(service, response)
        XCTAssertEqual(floats[60_001], Float("0.0010")!)
    }

    func testGzipUploadInflatesOnTheWayWithinTheLimit() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let text = #"{"inputs": [[1, 2], [3, 4]], "targets": [0, 1], "name": "zipped"}"#
        let response = try chunkedUpload(
            service, Gzip.compress(Array(text.utf8)), size: 5, headers: "Content-Encoding: gzip\r\n")
        XCTAssertEqual(response.status, 201, response.text)
        XCTAssertEqual(try stored(service, response), [1, 2, 3, 4])
        let cut = Array(Gzip.compress(Array(text.utf8)).dropLast(6))
        let broken = try chunkedUpload(service, cut, size: 5, headers: "Content-Encoding: gzip\r\n")
        XCTAssertEqual(broken.status, 400, broken.text)
    }

    func testAClientThatLeavesMidUploadStoresNothing() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let before = try service.counts()
        let connection = try RawConnection(port: service.server.port)
        let body = #"{"inputs": [[1, 2], [3, 4]], "targets": [0, 1]}"#
        connection.send(
            "POST /v1/datasets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body.prefix(30))
        usleep(100_000)
        connection.close()
        usleep(200_000)
        XCTAssertEqual(try service.counts(), before)
        XCTAssertEqual(try service.client.request("GET", "/healthz").status, 200)
    }
}
