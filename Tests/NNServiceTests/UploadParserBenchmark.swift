// Built only by scripts/upload-bench.sh (-D UPLOAD_BENCH, with -enable-testing for the internal
// parsers): the data set parsers alone, on one thread, fed a 150 MiB upload in 16 KiB pieces.
#if UPLOAD_BENCH
import Foundation
import XCTest

@testable import NNService

final class UploadParserBenchmark: XCTestCase {
    /// The calling thread's CPU time: the figure for one core, however busy the machine is.
    private func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func feed(_ body: [UInt8], _ feed: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try body.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(raw.count, offset + 16384)
                try feed(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }

    private func report(_ kind: String, _ bytes: Int, _ cpu: Double, _ wall: Double) -> Double {
        let perCPU = Double(bytes) / 1048576 / cpu
        print(
            String(
                format: "%@ %.0f MiB: %.0f MiB per CPU-second (%.2f s CPU, %.2f s wall)", kind,
                Double(bytes) / 1048576, perCPU, cpu, wall))
        return perCPU
    }

    func testParsersReadA150MiBUploadAtLeast150MiBPerSecondOnOneCore() throws {
        let values = (0..<784).map { String(format: "%.3f", Double($0 * 37 % 1000) / 1000) }
        let row = Array(("[" + values.joined(separator: ",") + "]").utf8)
        let count = 150 * 1048576 / (row.count + 1)
        var json = Array(#"{"name":"big","inputs":["#.utf8)
        json.reserveCapacity(151 << 20)
        for index in 0..<count {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += row
        }
        json += Array(#"],"targets":["#.utf8) + Array((0..<count).map { String($0 % 10) }.joined(separator: ",").utf8)
        json += Array("]}".utf8)
        var best = 0.0
        for _ in 0..<3 {
            let (wall, cpu) = (Date(), cpuSeconds())
            var parser = DatasetBodyParser(expectedBytes: json.count)
            try feed(json) { try parser.feed($0) }
            XCTAssertEqual(try parser.finish().rows, count)
            best = max(best, report("JSON", json.count, cpuSeconds() - cpu, Date().timeIntervalSince(wall)))
        }
        XCTAssertGreaterThanOrEqual(best, 150, "JSON parsing on one core")

        let line = Array(values.joined(separator: ",").utf8)
        var csv = Array(((0..<784).map { "f\($0)" } + ["y"]).joined(separator: ",").utf8) + [0x0A]
        csv.reserveCapacity(151 << 20)
        for index in 0..<count { csv += line + Array(",\(index % 10)\n".utf8) }
        best = 0
        for _ in 0..<3 {
            let (wall, cpu) = (Date(), cpuSeconds())
            var parser = CSVDatasetParser(query: try DatasetQuery { _ in nil }, expectedBytes: csv.count)
            try feed(csv) { try parser.feed($0) }
            XCTAssertEqual(try parser.finish().rows, count)
            best = max(best, report("CSV", csv.count, cpuSeconds() - cpu, Date().timeIntervalSince(wall)))
        }
        XCTAssertGreaterThanOrEqual(best, 150, "CSV parsing on one core")
    }
}
#endif
