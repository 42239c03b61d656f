import Foundation
import XCTest

/// Everything wrong with a sweep is a 422 at submission whose `path` points into the sweep's
/// body, and a rejected sweep stores nothing; the same request gives the same trials.
final class SweepValidationTests: XCTestCase {
    func testEveryBadSweepIsA422WithItsPathAndStoresNothing() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client)
        let job = SweepSupport.job(dataset: dataset)
        var noValidation = job
        noValidation["validation"] = nil
        var withModelID = job
        withModelID["model"] = nil
        withModelID["model_id"] = "m_0000000000000000"
        var badLayer = job
        badLayer["model"] = [
            "input_shape": [4], "layers": [["type": "dense", "units": 0], ["type": "dense", "units": 3]],
        ]
        var typo = job
        typo["epochz"] = 3
        var manyTags = job
        manyTags["tags"] = (0..<20).map { "t\($0)" }
        let lr = ["optimizer.learning_rate": ["values": [0.1]]]
        func sweep(_ changes: [String: Any]) -> [String: Any] {
            var body: [String: Any] = ["job": job, "parameters": lr]
            for (key, value) in changes { body[key] = value }
            return body
        }
        let cases: [(body: [String: Any], path: String)] = [
            (["parameters": lr], "job"),
            (sweep(["job": "job_1"]), "job"),
            (sweep(["job": withModelID]), "job.model_id"),
            (sweep(["job": badLayer]), "job.model.layers[0].units"),
            (sweep(["job": typo]), "job.epochz"),
            (sweep(["job": manyTags]), "job.tags"),
            (
                sweep(["job": ["dataset": "ds_0000000000000000"].merging(job.filter { $0.key != "dataset" }) { $1 }]),
                "job.dataset"
            ),
            (sweep(["trails": 3]), "trails"),
            (["job": job], "parameters"),
            (sweep(["parameters": [:]]), "parameters"),
            (sweep(["parameters": ["model.layers[9].units": ["values": [4]]]]), "parameters.model.layers[9].units"),
            (sweep(["parameters": ["optimizer.momentumm": ["values": [0.9]]]]), "parameters.optimizer.momentumm"),
            (sweep(["parameters": ["model.layers[0].unitz": ["values": [4]]]]), "parameters.model.layers[0].unitz"),
            (sweep(["parameters": ["optimizer.type.x": ["values": [4]]]]), "parameters.optimizer.type.x"),
            (sweep(["parameters": ["model..units": ["values": [4]]]]), "parameters.model..units"),
            (sweep(["parameters": ["batch_size.x": ["values": [4]]]]), "parameters.batch_size.x"),
            (sweep(["parameters": ["model.layers[-1].units": ["values": [4]]]]), "parameters.model.layers[-1].units"),
            (sweep(["parameters": ["model.layers[0": ["values": [4]]]]), "parameters.model.layers[0"),
            (sweep(["parameters": ["model.layers[0]]": ["values": [4]]]]), "parameters.model.layers[0]]"),
            (
                sweep(["parameters": ["model.layers[99999999999999999999].units": ["values": [4]]]]),
                "parameters.model.layers[99999999999999999999].units"
            ),
            (sweep(["parameters": ["[0]": ["values": [4]]]]), "parameters.[0]"),
            (sweep(["parameters": ["épochs": ["values": [4]]]]), "parameters.épochs"),
            (sweep(["parameters": ["": ["values": [4]]]]), "parameters."),
            (
                sweep(["parameters": ["model.layers[0].units": ["values": [8, 0]]]]),
                "parameters.model.layers[0].units.values[1]"
            ),
            (sweep(["parameters": ["batch_size": ["values": ["big"]]]]), "parameters.batch_size.values[0]"),
            (sweep(["parameters": ["batch_size": ["values": []]]]), "parameters.batch_size.values"),
            (sweep(["parameters": ["batch_size": [4, 8]]]), "parameters.batch_size"),
            (sweep(["parameters": ["batch_size": ["values": [4], "uniform": [1, 2]]]]), "parameters.batch_size"),
            (
                sweep(["parameters": ["optimizer.learning_rate": ["uniform": [-1, 0.1]]]]),
                "parameters.optimizer.learning_rate.uniform[0]"
            ),
            (
                sweep(["parameters": ["optimizer.learning_rate": ["uniform": [0.1, 0.01]]]]),
                "parameters.optimizer.learning_rate.uniform"
            ),
            (
                sweep(["parameters": ["optimizer.learning_rate": ["log_uniform": [0, 1]]]]),
                "parameters.optimizer.learning_rate.log_uniform[0]"
            ),
            (sweep(["parameters": ["batch_size": ["int_uniform": [1.5, 4]]]]), "parameters.batch_size.int_uniform[0]"),
            (sweep(["parameters": ["batch_size": ["int_uniform": [0, 4]]]]), "parameters.batch_size.int_uniform[0]"),
            (
                sweep(["parameters": ["batch_size": ["int_uniform": [4, 1e300]]]]),
                "parameters.batch_size.int_uniform[1]"
            ),
            (sweep(["parameters": ["epochs": ["int_uniform": [1, 10_000_000]]]]), "parameters.epochs.int_uniform[1]"),
            (
                sweep(["search": "grid", "parameters": ["optimizer.learning_rate": ["uniform": [0.01, 0.1]]]]),
                "parameters.optimizer.learning_rate.uniform"
            ),
            (
                sweep([
                    "search": "grid", "trials": 5,
                    "parameters": [
                        "optimizer.learning_rate": ["values": [0.1, 0.2]], "batch_size": ["values": [4, 8, 16]],
                    ],
                ]), "trials"
            ),
            (
                sweep([
                    "search": "grid",
                    "parameters": [
                        "optimizer.learning_rate": ["values": (1...40).map { Double($0) / 100 }],
                        "batch_size": ["values": Array(1...40)],
                    ],
                ]), "parameters"
            ),
            (sweep(["parameters": ["batch_size": ["values": Array(1...1001)]]]), "parameters.batch_size"),
            (sweep(["search": "bayes"]), "search"),
            (sweep(["trials": 0]), "trials"),
            (sweep(["trials": 1001]), "trials"),
            (sweep(["trials": 2.5]), "trials"),
            (sweep(["trials": 1e30]), "trials"),
            (sweep(["trials": "12"]), "trials"),
            (sweep(["parallel": 0]), "parallel"),
            (sweep(["parallel": 65]), "parallel"),
            (sweep(["parallel": -9_223_372_036_854_775_808.0]), "parallel"),
            (sweep(["seed": -1]), "seed"),
            (sweep(["metric": "f1"]), "metric"),
            (sweep(["job": noValidation, "metric": "val_accuracy"]), "metric"),
            (sweep(["goal": "max"]), "goal"),
            (sweep(["name": ""]), "name"),
            (sweep(["early_termination": ["type": "hyperband"]]), "early_termination.type"),
            (
                sweep(["early_termination": ["type": "asha", "reduction_factor": 1]]),
                "early_termination.reduction_factor"
            ),
            (sweep(["early_termination": ["type": "asha", "min_epochs": 0]]), "early_termination.min_epochs"),
            (sweep(["early_termination": ["type": "asha", "grace": 2]]), "early_termination.grace"),
            (sweep(["early_termination": "asha"]), "early_termination"),
        ]
        let before = try service.counts()
        for (body, path) in cases {
            let response = try client.json("POST", "/v1/sweeps", body)
            XCTAssertEqual(response.status, 422, "\(path): \(response.text)")
            XCTAssertEqual(response.errorPath, path, response.text)
            XCTAssertFalse((response.object["error"] as? [String: Any])?["message"] as? String ?? "" == "")
        }
        let longKey = String(repeating: "k", count: 5000)
        let long = try client.json("POST", "/v1/sweeps", sweep(["parameters": [longKey: ["values": [1]]]]))
        XCTAssertEqual(long.status, 422, long.text)
        XCTAssertLessThan(long.body.count, 2000, "an error does not echo a huge key back whole")
        let duplicate = try client.request(
            "POST", "/v1/sweeps",
            body: Array(
                #"{"job": {"dataset": "x"}, "parameters": {"batch_size": {"values": [4]}, "batch_size": {"values": [8]}}}"#
                    .utf8))
        XCTAssertEqual(duplicate.status, 422, duplicate.text)
        // Numbers past a double's range, spans that overflow, and a job too large to check per trial.
        let jobText = String(decoding: try JSONSerialization.data(withJSONObject: job), as: UTF8.self)
        let raws: [(String, String)] = [
            (#"{"job": {"dataset": "x", "epochs": 1e400}, "parameters": {"epochs": {"values": [1]}}}"#, "job.epochs"),
            (
                #"{"job": \#(jobText), "parameters": {"optimizer.learning_rate": {"uniform": [0.1, -1e999]}}}"#,
                "parameters.optimizer.learning_rate.uniform[1]"
            ),
            (
                #"{"job": \#(jobText), "parameters": {"optimizer.learning_rate": {"uniform": [-1e308, 1e308]}}}"#,
                "parameters.optimizer.learning_rate.uniform"
            ),
            (
                #"{"job": {"dataset": "\#(String(repeating: "d", count: 300_000))"}, "parameters": {"epochs": {"values": [1]}}}"#,
                "job"
            ),
        ]
        for (raw, path) in raws {
            let response = try client.request("POST", "/v1/sweeps", body: Array(raw.utf8))
            XCTAssertEqual(response.status, 422, "\(path): \(response.text.prefix(300))")
            XCTAssertEqual(response.errorPath, path, String(response.text.prefix(300)))
        }
        for raw in ["", "[]", "{\"job\": ", "{\"trials\": NaN}", "null", "\u{0}"] {
            let response = try client.request("POST", "/v1/sweeps", body: Array(raw.utf8))
            XCTAssert([400, 411, 422].contains(response.status), "\(raw): \(response.text)")
        }
        let text = try client.request(
            "POST", "/v1/sweeps", body: Array("{}".utf8), contentType: "text/plain")
        XCTAssertEqual(text.status, 415)
        XCTAssertEqual(try service.counts(), before, "rejected sweeps store nothing")
        XCTAssertEqual(try service.queue.depth(), 0)
    }

    /// The trials are fixed by the request: the same body twice gives the same parameters in
    /// the same order, a different seed gives others, and every draw lies in its range.
    func testTheSameRequestGivesTheSameTrials() throws {
        let service = try ServiceHarness(startQueue: false)
        defer { service.shutdown() }
        let client = service.client
        let dataset = try SweepSupport.upload(client)
        var body: [String: Any] = [
            "job": SweepSupport.job(dataset: dataset), "trials": 12, "seed": 7,
            "parameters": [
                "optimizer.learning_rate": ["log_uniform": [0.001, 1.0]],
                "model.layers[0].units": ["values": [16, 32, 64]],
                "batch_size": ["int_uniform": [8, 64]],
                "optimizer.momentum": ["uniform": [0.0, 0.9]],
            ],
        ]
        var job = SweepSupport.job(dataset: dataset)
        job["optimizer"] = ["type": "sgd", "learning_rate": 0.1, "momentum": 0.5]
        body["job"] = job
        let first = try client.json("POST", "/v1/sweeps", body)
        let second = try client.json("POST", "/v1/sweeps", body)
        XCTAssertEqual(first.status, 202, first.text)
        XCTAssertEqual(try SweepSupport.paramsInOrder(first.object), try SweepSupport.paramsInOrder(second.object))
        body["seed"] = 8
        let other = try client.json("POST", "/v1/sweeps", body)
        // A field the job leaves at its default can be varied too.
        let defaults = try client.json(
            "POST", "/v1/sweeps",
            ["job": SweepSupport.job(dataset: dataset), "parameters": ["optimizer.momentum": ["values": [0, 0.9]]]])
        XCTAssertEqual(defaults.status, 202, defaults.text)
        XCTAssertNotEqual(try SweepSupport.paramsInOrder(first.object), try SweepSupport.paramsInOrder(other.object))
        let trials = SweepSupport.trials(first.object)
        XCTAssertEqual(trials.count, 12)
        for trial in trials {
            let params = trial["params"] as? [String: Any] ?? [:]
            let rate = params["optimizer.learning_rate"] as? Double ?? -1
            XCTAssert((0.001...1.0).contains(rate), "\(params)")
            XCTAssert([16, 32, 64].contains(params["model.layers[0].units"] as? Int ?? 0), "\(params)")
            let batch = params["batch_size"] as? Double ?? -1
            XCTAssert((8...64).contains(batch) && batch.rounded() == batch, "\(params)")
            XCTAssertEqual(trial["status"] as? String, "pending")
        }
        XCTAssertEqual(
            Set(trials.compactMap { ($0["params"] as? [String: Any])?["model.layers[0].units"] as? Int }).count, 3)
        // Its later trials need the data set, so it stays while the sweep runs.
        let delete = try client.request("DELETE", "/v1/datasets/\(dataset)")
        XCTAssertEqual(delete.status, 409, delete.text)
        XCTAssert(delete.text.contains("sweep"), delete.text)
    }
}
