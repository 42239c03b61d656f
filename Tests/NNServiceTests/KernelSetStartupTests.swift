import Foundation
import NNCore
import XCTest

/// `NN_ISA` against a real `nnserve` process: a forced set that is unknown, or that the CPU
/// lacks, stops the start with the reason; a forced set the CPU has is the one `/metrics` shows.
final class KernelSetStartupTests: XCTestCase {
    private func dataDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nnserve-isa-\(UUID().uuidString)")
    }

    func testUnknownForcedSetStopsTheStart() throws {
        let directory = dataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try ServerProcess(dataDirectory: directory, environment: ["NN_ISA": "sse9"])) { error in
            XCTAssertTrue("\(error)".contains("NN_ISA=sse9 names no kernel set"), "\(error)")
        }
        if !KernelISA.avx512.isSupported {
            XCTAssertThrowsError(try ServerProcess(dataDirectory: directory, environment: ["NN_ISA": "avx512"])) {
                error in
                XCTAssertTrue("\(error)".contains("lacks AVX512F"), "\(error)")
            }
        }
    }

    func testForcedSetIsTheOneMetricsShows() throws {
        let directory = dataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for isa in KernelISA.supported {
            let server = try ServerProcess(dataDirectory: directory, environment: ["NN_ISA": isa.rawValue])
            defer { _ = server.terminate() }
            let text = try server.client.request("GET", "/metrics").text
            XCTAssertTrue(text.contains("nnserve_cpu_isa{isa=\"\(isa)\"} 1"), text)
        }
    }
}
