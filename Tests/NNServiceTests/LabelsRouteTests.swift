import Foundation
import XCTest

/// Names and tags on jobs and models: creation, merge-patch, filters, sorting and paging, through
/// the HTTP routes.
final class LabelsRouteTests: XCTestCase {
    static var spec: [String: Any] { ["input_shape": [2], "layers": [["type": "dense", "units": 1]]] }

    func createModel(_ client: TestClient, name: String?, tags: [String]) throws -> String {
        var body = Self.spec
        if let name { body["name"] = name }
        body["tags"] = tags
        let created = try client.json("POST", "/v1/models", body)
        XCTAssertEqual(created.status, 201, created.text)
        return created.object["id"] as? String ?? ""
    }

    /// Follows `next` through every page and returns the ids in order.
    func allIDs(_ client: TestClient, _ path: String, query: String) throws -> [String] {
        var ids: [String] = []
        var after: String?
        for _ in 0..<50 {
            let target = path + "?" + query + (after.map { "&after=\($0)" } ?? "")
            let page = try client.request("GET", target)
            XCTAssertEqual(page.status, 200, page.text)
            ids += (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            guard let next = page.object["next"] as? String else { return ids }
            after = next
        }
        XCTFail("paging did not end")
        return ids
    }

    func testModelLabelsAtCreationAndByMergePatch() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let id = try createModel(client, name: "baseline", tags: ["digits", "small"])
        var model = try client.request("GET", "/v1/models/\(id)").object
        XCTAssertEqual(model["name"] as? String, "baseline")
        XCTAssertEqual(model["tags"] as? [String], ["digits", "small"])

        let renamed = try client.request(
            "PATCH", "/v1/models/\(id)", body: Array(#"{"name": "wider"}"#.utf8),
            contentType: "application/merge-patch+json")
        XCTAssertEqual(renamed.status, 200, renamed.text)
        XCTAssertEqual(renamed.object["name"] as? String, "wider")
        XCTAssertEqual(renamed.object["tags"] as? [String], ["digits", "small"], "a member left out keeps its value")

        let cleared = try client.json("PATCH", "/v1/models/\(id)", ["name": NSNull(), "tags": ["final"]])
        XCTAssertEqual(cleared.status, 200, cleared.text)
        XCTAssert(cleared.object["name"] is NSNull, cleared.text)
        XCTAssertEqual(cleared.object["tags"] as? [String], ["final"])

        let unknown = try client.json("PATCH", "/v1/models/\(id)", ["tags": ["x"], "spec": ["input_shape": [3]]])
        XCTAssertEqual(unknown.status, 422, unknown.text)
        XCTAssertEqual(unknown.errorPath, "spec")
        model = try client.request("GET", "/v1/models/\(id)").object
        XCTAssertEqual(model["tags"] as? [String], ["final"], "a rejected patch changes nothing")

        let missing = try client.json("PATCH", "/v1/models/m_0000000000000000", ["name": "x"])
        XCTAssertEqual(missing.status, 404, missing.text)
        let wrongType = try client.request(
            "PATCH", "/v1/models/\(id)", body: Array(#"{"name": "x"}"#.utf8), contentType: "text/plain")
        XCTAssertEqual(wrongType.status, 415, wrongType.text)
    }

    func testHostileLabelsAreRejectedWithTheirPathAndStoreNothing() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let id = try createModel(client, name: "keep", tags: ["keep"])
        let before = try service.counts()
        let cases: [(body: [String: Any], path: String)] = [
            (["tags": (0..<21).map { "t\($0)" }], "tags"),
            (["name": String(repeating: "n", count: 10_000)], "name"),
            (["name": ""], "name"),
            (["name": 42], "name"),
            (["name": "line\nbreak"], "name"),
            (["tags": ["a", "b", "a"]], "tags[2]"),
            (["tags": ["ok", String(repeating: "t", count: 65)]], "tags[1]"),
            (["tags": [""]], "tags[0]"),
            (["tags": ["ok", 7]], "tags[1]"),
            (["tags": "digits"], "tags"),
        ]
        for (body, path) in cases {
            var creation = Self.spec
            creation.merge(body) { $1 }
            let created = try client.json("POST", "/v1/models", creation)
            XCTAssertEqual(created.status, 422, "\(body.keys): \(created.text)")
            XCTAssertEqual(created.errorPath, path, created.text)
            let patched = try client.json("PATCH", "/v1/models/\(id)", body)
            XCTAssertEqual(patched.status, 422, patched.text)
            XCTAssertEqual(patched.errorPath, path, patched.text)
        }
        for raw in ["[]", "\"name\"", "{\"name\": ", "{\"name\": \"\u{0}\"}", "null"] {
            let patched = try client.request("PATCH", "/v1/models/\(id)", body: Array(raw.utf8))
            XCTAssert([400, 422].contains(patched.status), "\(raw): \(patched.text)")
        }
        let longKey = String(repeating: "k", count: 5000)
        let unknown = try client.request("PATCH", "/v1/models/\(id)", body: Array("{\"\(longKey)\": 1}".utf8))
        XCTAssertEqual(unknown.status, 422, unknown.text)
        XCTAssertLessThan(unknown.body.count, 2000, "an error does not echo a huge key back whole")
        XCTAssertEqual(try service.counts(), before)
        let model = try client.request("GET", "/v1/models/\(id)").object
        XCTAssertEqual(model["name"] as? String, "keep")
        XCTAssertEqual(model["tags"] as? [String], ["keep"])
    }

    func testModelListsFilterByTagAndNameAndPageUnderASort() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let names = ["delta", "alpha", "echo", "charlie", "bravo", "alpha"]
        var ids: [String] = []
        for (index, name) in names.enumerated() {
            ids.append(try createModel(client, name: name, tags: index % 2 == 0 ? ["even", "all"] : ["all"]))
        }
        let unnamed = try createModel(client, name: nil, tags: [])

        XCTAssertEqual(try allIDs(client, "/v1/models", query: "tag=even&limit=2"), [ids[0], ids[2], ids[4]])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "tag=even&tag=all"), [ids[0], ids[2], ids[4]])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "tag=even&tag=odd"), [])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "name=alpha"), [ids[1], ids[5]])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "name=alpha&tag=even"), [])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "name=delta&tag=even"), [ids[0]])

        // Ties break by creation; a model without a name comes last in either direction.
        let ascending = [ids[1], ids[5], ids[4], ids[3], ids[0], ids[2], unnamed]
        let descending = [ids[2], ids[0], ids[3], ids[4], ids[1], ids[5], unnamed]
        for limit in [1, 2, 3, 100] {
            XCTAssertEqual(try allIDs(client, "/v1/models", query: "sort=name&limit=\(limit)"), ascending)
            XCTAssertEqual(try allIDs(client, "/v1/models", query: "sort=-name&limit=\(limit)"), descending)
            XCTAssertEqual(
                try allIDs(client, "/v1/models", query: "sort=-created_at&limit=\(limit)"), (ids + [unnamed]).reversed()
            )
        }
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "sort=created_at&limit=2"), ids + [unnamed])
        XCTAssertEqual(try allIDs(client, "/v1/models", query: "limit=2"), ids + [unnamed], "the default order")

        let firstPage = try client.request("GET", "/v1/models?sort=name&limit=2").object
        let cursor = firstPage["next"] as? String ?? ""
        let badQueries: [(String, String)] = [
            ("sort=drop%20table%20models", "sort"), ("sort=-", "sort"), ("sort=--name", "sort"),
            ("sort=name&after=", "after"),
            ("tag=\(String(repeating: "t", count: 65))", "tag"), ("tag=", "tag"),
            ((0..<21).map { "tag=t\($0)" }.joined(separator: "&"), "tag"),
            ("name=\(String(repeating: "n", count: 257))", "name"), ("name=", "name"),
        ]
        for (query, path) in badQueries {
            let response = try client.request("GET", "/v1/models?\(query)")
            XCTAssertEqual(response.status, 400, "\(query.prefix(60)): \(response.text)")
            XCTAssertEqual(response.errorPath, path, response.text)
        }
        for query in ["sort=name&after=not-a-cursor", "sort=-name&after=\(cursor)", "sort=name&after=0"] {
            let response = try client.request("GET", "/v1/models?\(query)")
            XCTAssertEqual(response.status, 422, "\(query): \(response.text)")
            XCTAssertEqual(response.errorPath, "after", response.text)
            XCTAssertEqual(response.errorCode, "invalid_cursor", response.text)
        }
        let injected = try client.request("GET", "/v1/models?name=x'%20OR%201=1--")
        XCTAssertEqual((injected.object["items"] as? [Any])?.count, 0, injected.text)
        let huge = try client.request("GET", "/v1/models?name=\(String(repeating: "n", count: 10_000))")
        XCTAssertEqual(huge.status, 414, "a 10k-character query is refused before it reaches the list")
    }

    /// Jobs sort by their latest metrics, and a model created by a job takes the job's labels.
    func testJobsTakeLabelsAndSortByLatestMetrics() throws {
        let service = try ServiceHarness()
        defer { service.shutdown() }
        let client = service.client
        let inputs: [[Double]] = (0..<16).map { [Double($0 % 4), Double($0 / 4)] }
        let targets: [[Double]] = inputs.map { [($0[0] + $0[1]) / 6] }
        let dataset =
            try client.json("POST", "/v1/datasets", ["inputs": inputs, "targets": targets]).object["id"] as? String
            ?? ""
        var jobs: [String] = []
        for (index, rate) in [0.001, 0.05, 0.0001].enumerated() {
            let job = try client.json(
                "POST", "/v1/jobs",
                [
                    "name": "lr-\(rate)", "tags": ["lr-sweep"] + (index == 0 ? ["first"] : []),
                    "model": Self.spec, "dataset": dataset, "loss": "mse", "epochs": 5,
                    "optimizer": ["type": "sgd", "learning_rate": rate], "validation": ["split": 0.25],
                ])
            XCTAssertEqual(job.status, 202, job.text)
            XCTAssertEqual(job.object["name"] as? String, "lr-\(rate)")
            jobs.append(job.object["id"] as? String ?? "")
        }
        var losses: [String: Double] = [:]
        for id in jobs {
            let final = try service.waitForJob(id)
            XCTAssertEqual(final["status"] as? String, "succeeded", "\(final)")
            losses[id] = (final["latest"] as? [String: Any])?["val_loss"] as? Double
        }
        let first = try client.request("GET", "/v1/jobs/\(jobs[0])").object
        let model = try client.request("GET", "/v1/models/\(first["model_id"] as? String ?? "")").object
        XCTAssertEqual(model["name"] as? String, "lr-0.001")
        XCTAssertEqual(model["tags"] as? [String], ["lr-sweep", "first"])

        let byLoss = jobs.sorted { losses[$0]! < losses[$1]! }
        XCTAssertEqual(try allIDs(client, "/v1/jobs", query: "sort=val_loss&limit=1"), byLoss)
        XCTAssertEqual(try allIDs(client, "/v1/jobs", query: "sort=-val_loss&limit=2"), byLoss.reversed())
        XCTAssertEqual(try allIDs(client, "/v1/jobs", query: "tag=first&sort=-loss"), [jobs[0]])
        XCTAssertEqual(try allIDs(client, "/v1/jobs", query: "name=lr-0.05&status=succeeded"), [jobs[1]])

        let patched = try client.json("PATCH", "/v1/jobs/\(jobs[2])", ["tags": ["best"]])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertEqual(try allIDs(client, "/v1/jobs", query: "tag=best"), [jobs[2]])
        let hostile = try client.json("PATCH", "/v1/jobs/\(jobs[2])", ["status": "running"])
        XCTAssertEqual(hostile.status, 422, hostile.text)
        XCTAssertEqual(hostile.errorPath, "status")
        let before = try service.counts()
        let tooMany = try client.json(
            "POST", "/v1/jobs",
            [
                "tags": (0..<21).map { "t\($0)" }, "model": Self.spec, "dataset": dataset, "loss": "mse",
                "optimizer": ["type": "sgd", "learning_rate": 0.1],
            ])
        XCTAssertEqual(tooMany.status, 422, tooMany.text)
        XCTAssertEqual(tooMany.errorPath, "tags")
        XCTAssertEqual(try service.counts(), before, "a rejected job stores neither itself nor its model")
        let badSort = try client.request("GET", "/v1/jobs?sort=drop%20table%20jobs")
        XCTAssertEqual(badSort.status, 400, badSort.text)
        XCTAssertEqual(badSort.errorPath, "sort")
    }
}
