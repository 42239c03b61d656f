import Foundation
import XCTest

/// `nnserve --help`, `--version` and command-line errors, from the real binary.
final class CommandLineTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// The variables of the configuration table in docs/API.md, so that the guide and `--help`
    /// cannot drift apart.
    private func documentedVariables() throws -> [String] {
        let guide = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/API.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `NN_") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
    }

    func testHelpListsEveryDocumentedFlagWithItsVariableAndDefault() throws {
        let result = try run(["--help"])
        XCTAssertEqual(result.status, 0, result.errors)
        let variables = try documentedVariables()
        XCTAssertGreaterThanOrEqual(variables.count, 12)
        for variable in variables {
            XCTAssert(
                result.output.contains("env \(variable), default "), "--help lacks \(variable):\n\(result.output)")
        }
        for flag in ["--host", "--port", "--data-dir", "--api-token", "--version"] {
            XCTAssert(result.output.contains(flag), "--help lacks \(flag)")
        }
    }

    func testVersionPrintsOneLine() throws {
        let result = try run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertNotNil(
            result.output.range(of: #"^nnserve \d+\.\d+\.\d+\n$"#, options: .regularExpression), result.output)
    }

    func testUnknownFlagAndMissingValueAreClearErrors() throws {
        let unknown = try run(["--prot", "9000"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.errors.contains("unknown flag --prot"), unknown.errors)
        XCTAssert(unknown.errors.contains("nnserve --help"), unknown.errors)
        let missing = try run(["--port"])
        XCTAssertEqual(missing.status, 2)
        XCTAssert(missing.errors.contains("--port needs a value"), missing.errors)
        let bad = try run(["--port", "99999"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.errors.contains("NN_PORT"), bad.errors)
    }
}
