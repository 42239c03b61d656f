import Foundation
import XCTest

/// A small ResNet (basic blocks with an identity and a 1x1 projection shortcut, batch norm)
/// and an Inception-style block (1x1, 3x3 and 5x5 branches concatenated) train through the
/// API on 32x32x3 images of a horizontal (class 0) or vertical (class 1) bar in noise, and
/// classify held-out images.
final class GraphTrainingTests: XCTestCase {
    /// Flat rows of 32x32x3 images; pixel values with one decimal keep the request small.
    static func bars(_ count: Int, seed: UInt64) -> (rows: [String], labels: [Int]) {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var rows: [String] = [], labels: [Int] = []
        for _ in 0..<count {
            var pixels = (0..<3072).map { _ in Double(next(4)) / 10 }
            let vertical = next(2) == 1
            let line = next(32), start = next(20), length = 8 + next(5)
            for t in start..<(start + length) {
                let (y, x) = vertical ? (t, line) : (line, t)
                for c in 0..<3 { pixels[(y * 32 + x) * 3 + c] = 1 }
            }
            rows.append("[" + pixels.map { $0 == 1 ? "1" : String($0) }.joined(separator: ",") + "]")
            labels.append(vertical ? 1 : 0)
        }
        return (rows, labels)
    }

    static func block(_ prefix: String, _ source: String, _ filters: Int, stride: Int) -> [[String: Any]] {
        var layers: [[String: Any]] = [
            [
                "name": "\(prefix)c1", "type": "conv2d", "filters": filters, "kernel_size": 3, "stride": stride,
                "padding": "same", "use_bias": false, "inputs": [source],
            ],
            ["name": "\(prefix)b1", "type": "batchnorm", "momentum": 0.8],
            ["type": "activation", "function": "relu"],
            [
                "name": "\(prefix)c2", "type": "conv2d", "filters": filters, "kernel_size": 3, "padding": "same",
                "use_bias": false,
            ],
            ["name": "\(prefix)b2", "type": "batchnorm", "momentum": 0.8],
        ]
        var shortcut = source
        if stride != 1 {
            layers += [
                [
                    "name": "\(prefix)p", "type": "conv2d", "filters": filters, "kernel_size": 1, "stride": stride,
                    "use_bias": false, "inputs": [source],
                ],
                ["name": "\(prefix)pb", "type": "batchnorm", "momentum": 0.8],
            ]
            shortcut = "\(prefix)pb"
        }
        return layers + [
            ["name": "\(prefix)sum", "type": "add", "inputs": ["\(prefix)b2", shortcut]],
            ["name": "\(prefix)out", "type": "activation", "function": "relu"],
        ]
    }

    nonisolated(unsafe) static let resnet: [[String: Any]] =
        [
            [
                "name": "stem", "type": "conv2d", "filters": 8, "kernel_size": 3, "stride": 2, "padding": "same",
                "use_bias": false,
            ],
            ["type": "batchnorm", "momentum": 0.8], ["name": "s", "type": "activation", "function": "relu"],
        ] + block("a", "s", 8, stride: 1) + block("b", "aout", 16, stride: 2)
        + [["type": "avgpool2d", "pool_size": 8], ["type": "flatten"], ["type": "dense", "units": 2]]

    nonisolated(unsafe) static let inception: [[String: Any]] = [
        [
            "name": "stem", "type": "conv2d", "filters": 8, "kernel_size": 3, "stride": 2, "padding": "same",
            "activation": "relu",
        ],
        ["name": "one", "type": "conv2d", "filters": 4, "kernel_size": 1, "activation": "relu", "inputs": ["stem"]],
        [
            "name": "three_in", "type": "conv2d", "filters": 4, "kernel_size": 1, "activation": "relu",
            "inputs": ["stem"],
        ],
        ["name": "three", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"],
        [
            "name": "five_in", "type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "relu",
            "inputs": ["stem"],
        ],
        ["name": "five", "type": "conv2d", "filters": 4, "kernel_size": 5, "padding": "same", "activation": "relu"],
        ["name": "mixed", "type": "concatenate", "inputs": ["one", "three", "five"]],
        ["type": "maxpool2d", "pool_size": 2], ["type": "avgpool2d", "pool_size": 8], ["type": "flatten"],
        ["type": "dense", "units": 2],
    ]

    func testSmallResNetAndInceptionBlockLearnBars() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let train = Self.bars(192, seed: 1), test = Self.bars(64, seed: 2)
        let body =
            #"{"name": "bars", "input_shape": [32, 32, 3], "inputs": [\#(train.rows.joined(separator: ","))], "targets": \#(train.labels)}"#
        let upload = try client.request("POST", "/v1/datasets", body: Array(body.utf8))
        XCTAssertEqual(upload.status, 201, upload.text)
        let dataset = try XCTUnwrap(upload.object["id"] as? String)
        let testBody = Array(#"{"inputs": [\#(test.rows.joined(separator: ","))]}"#.utf8)
        for (name, layers, params) in [("resnet", Self.resnet, 5_130), ("inception", Self.inception, 692)] {
            let job: [String: Any] = [
                "model": ["input_shape": [32, 32, 3], "layers": layers], "dataset": dataset, "loss": "cross_entropy",
                "optimizer": ["type": "adam", "learning_rate": 0.01], "batch_size": 16, "epochs": 8, "seed": 3,
            ]
            let submitted = try client.json("POST", "/v1/jobs", job)
            XCTAssertEqual(submitted.status, 202, submitted.text)
            let finished = try service.waitForJob(try XCTUnwrap(submitted.object["id"] as? String))
            XCTAssertEqual(finished["status"] as? String, "succeeded", "\(finished)")
            let model = try XCTUnwrap(finished["model_id"] as? String)
            XCTAssertEqual(try client.request("GET", "/v1/models/\(model)").object["params"] as? Int, params, name)
            let prediction = try client.request("POST", "/v1/models/\(model)/predict", body: testBody)
            XCTAssertEqual(prediction.status, 200, prediction.text)
            let classes = try XCTUnwrap(prediction.object["classes"] as? [Int])
            let accuracy = Double(zip(classes, test.labels).filter { $0 == $1 }.count) / Double(test.labels.count)
            XCTAssertGreaterThanOrEqual(accuracy, 0.95, "\(name) held-out accuracy")
        }
    }
}
