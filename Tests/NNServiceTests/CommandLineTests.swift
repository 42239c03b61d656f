import Foundation
import XCTest

/// `nnserve --help`, `--version` and command-line errors, from the real binary.
final class CommandLineTests: XCTestCase {
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
        let result = try StorageSupport.run(["--help"])
        XCTAssertEqual(result.status, 0, result.error)
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
        let result = try StorageSupport.run(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertNotNil(
            result.output.range(of: #"^nnserve \d+\.\d+\.\d+\n$"#, options: .regularExpression), result.output)
    }

    func testUnknownFlagAndMissingValueAreClearErrors() throws {
        let unknown = try StorageSupport.run(["--prot", "9000"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssert(unknown.error.contains("unknown flag --prot"), unknown.error)
        XCTAssert(unknown.error.contains("nnserve --help"), unknown.error)
        let missing = try StorageSupport.run(["--port"])
        XCTAssertEqual(missing.status, 2)
        XCTAssert(missing.error.contains("--port needs a value"), missing.error)
        let bad = try StorageSupport.run(["--port", "99999"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.error.contains("NN_PORT"), bad.error)
    }

    func testRoleAndWorkerCountAreCheckedAtStartUp() throws {
        let role = try StorageSupport.run(["--role", "boss", "--port", "0"])
        XCTAssertEqual(role.status, 2)
        XCTAssert(role.error.contains("NN_ROLE") && role.error.contains("all, api or worker"), role.error)
        let workers = try StorageSupport.run(["--workers", "65", "--port", "0"])
        XCTAssertEqual(workers.status, 2)
        XCTAssert(workers.error.contains("NN_WORKERS"), workers.error)
        let stray = try StorageSupport.run(["worker", "extra", "--port", "0"])
        XCTAssertEqual(stray.status, 2)
        XCTAssert(stray.error.contains("unexpected argument 'extra'"), stray.error)
        let help = try StorageSupport.run(["--help"])
        XCTAssert(help.output.contains("nnserve worker"), help.output)
    }
}
