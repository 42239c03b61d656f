import Foundation
import XCTest

/// What the sweep tests share: a small data set, a base job over it, and waiting for a sweep.
enum SweepSupport {
    /// 120 rows of 4 features whose class (0, 1 or 2) follows from the features, so that
    /// settings differ in how well they learn it.
    static func learnableCSV(rows: Int = 120, seed: UInt64 = 3) -> String {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 33) / Double(1 << 31) * 2 - 1
        }
        var lines = ["a,b,c,d,label"]
        for _ in 0..<rows {
            let x = (0..<4).map { _ in next() }
            let label = x[0] + x[1] > 0.5 ? 2 : (x[2] - x[3] > 0 ? 1 : 0)
            lines.append(x.map { String(format: "%.4f", $0) }.joined(separator: ",") + ",\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func upload(_ client: TestClient, _ csv: String = learnableCSV()) throws -> String {
        let response = try client.request(
            "POST", "/v1/datasets?target=label", body: Array(csv.utf8), contentType: "text/csv")
        XCTAssertEqual(response.status, 201, response.text)
        return response.object["id"] as? String ?? ""
    }

    static func job(dataset: String, epochs: Int = 3) -> [String: Any] {
        [
            "model": [
                "input_shape": [4],
                "layers": [["type": "dense", "units": 8, "activation": "relu"], ["type": "dense", "units": 3]],
            ],
            "dataset": dataset, "validation": ["split": 0.25], "loss": "cross_entropy",
            "optimizer": ["type": "sgd", "learning_rate": 0.1], "batch_size": 16, "epochs": epochs, "seed": 1,
        ]
    }

    static func waitForSweep(_ client: TestClient, _ id: String, timeout: Double = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let sweep = try client.request("GET", "/v1/sweeps/\(id)").object
            if let status = sweep["status"] as? String, status != "running" { return sweep }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ClientError("sweep \(id) did not end within \(timeout) s")
    }

    static func trials(_ sweep: [String: Any]) -> [[String: Any]] { sweep["trials"] as? [[String: Any]] ?? [] }

    /// The trials' parameters in trial order, as JSON text with sorted keys (comparable).
    static func paramsInOrder(_ sweep: [String: Any]) throws -> [String] {
        try trials(sweep).sorted { ($0["trial"] as? Int ?? 0) < ($1["trial"] as? Int ?? 0) }.map {
            String(
                decoding: try JSONSerialization.data(withJSONObject: $0["params"] ?? [:], options: .sortedKeys),
                as: UTF8.self)
        }
    }
}
