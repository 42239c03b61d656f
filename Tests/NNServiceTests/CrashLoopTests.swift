import Foundation
import XCTest

/// A job that was running when the process died is resumed, and counted; the third death
/// fails it with `crashed` instead, so a job that kills the server cannot crash-loop it.
final class CrashLoopTests: XCTestCase {
    func testThirdDeathWhileRunningFailsTheJob() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nnserve-loop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try ServerProcess(dataDirectory: directory)
        let client = server.client
        let inputs: [[Double]] = (0..<256).map { [Double($0 % 7), Double($0 % 3)] }
        let targets: [Int] = (0..<256).map { $0 % 2 }
        let data = try client.json("POST", "/v1/datasets", ["inputs": inputs, "targets": targets])
        XCTAssertEqual(data.status, 201, data.text)
        let submitted = try client.json(
            "POST", "/v1/jobs",
            [
                "model": [
                    "input_shape": [2],
                    "layers": [["type": "dense", "units": 64, "activation": "relu"], ["type": "dense", "units": 2]],
                ],
                "dataset": data.object["id"] as? String ?? "", "loss": "cross_entropy",
                "optimizer": ["type": "sgd", "learning_rate": 0.01], "epochs": 100_000, "batch_size": 1,
            ])
        XCTAssertEqual(submitted.status, 202, submitted.text)
        XCTAssertEqual(submitted.object["attempts"] as? Int, 0)
        let job = submitted.object["id"] as? String ?? ""

        func waitUntilRunning(attempts: Int) throws {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let object = try server.client.request("GET", "/v1/jobs/\(job)").object
                if object["status"] as? String == "running", object["attempts"] as? Int == attempts { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
            throw ClientError("job \(job) was not running its attempt \(attempts)")
        }
        for death in 1...3 {
            try waitUntilRunning(attempts: death)
            server.kill()
            server = try ServerProcess(dataDirectory: directory)
            if death < 3 { XCTAssert(server.log.contains("resuming 1 queued job"), server.log) }
        }
        let object = try server.client.request("GET", "/v1/jobs/\(job)").object
        XCTAssertEqual(object["status"] as? String, "failed", "\(object)")
        XCTAssertEqual((object["error"] as? [String: Any])?["code"] as? String, "crashed", "\(object)")
        XCTAssertEqual(object["attempts"] as? Int, 3)
        XCTAssert(server.log.contains("error code crashed"), server.log)
        XCTAssertEqual(try server.client.request("GET", "/healthz").status, 200)
        XCTAssertEqual(server.terminate().status, 0)
    }
}
