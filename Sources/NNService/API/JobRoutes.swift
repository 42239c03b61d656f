import Foundation
import MicroHTTP
import NNCore

extension ServiceApp {
    func addJobRoutes(_ router: inout HTTPRouter) {
        router.post("/v1/jobs", handle { [self] request in try submitJob(request) })
        router.get(
            "/v1/jobs",
            handle { [store] request in
                let query = try ListQuery(request, sortable: ListQuery.jobSortFields)
                var status: JobStatus?
                if let text = request.queryValue("status") {
                    guard let parsed = JobStatus(rawValue: text) else {
                        throw ServiceError(
                            400, "invalid_query",
                            "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                            path: "status")
                    }
                    status = parsed
                }
                let page = try store.jobs(status: status, query: query)
                return try Self.reply(ListPage(items: page.items.map(\.description), next: page.next))
            })
        router.get("/v1/jobs/{id}", handle { [self] request in try Self.reply(try job(request).description) })
        router.patch(
            "/v1/jobs/{id}",
            handle { [self] request in
                let record = try job(request)
                let patch = try LabelsPatch(try request.mergePatchBody())
                guard try store.updateLabels(.jobs, id: record.id, patch: patch) else {
                    throw ServiceError.notFound("job", record.id)
                }
                return try Self.reply(try job(request).description)
            })
        router.get(
            "/v1/jobs/{id}/metrics",
            handle { [self] request in
                let record = try job(request)
                let epochs = try store.metrics(job: record.id)
                return try Self.reply(MetricsHistory(epochs: epochs))
            })
        router.post(
            "/v1/jobs/{id}/cancel",
            handle { [self] request in
                let record = try job(request)
                return try Self.reply(try queue.cancel(record.id).description)
            })
        router.get("/v1/jobs/{id}/events", handle { [self] request in try eventStream(try job(request)) })
    }

    func job(_ request: HTTPRequest) throws -> JobRecord {
        let id = request.pathParameter("id")
        guard let record = try store.job(id) else { throw ServiceError.notFound("job", id) }
        return record
    }

    /// Validates everything a job needs before it is stored (a rejected job stores nothing),
    /// then stores it and queues it.
    func submitJob(_ request: HTTPRequest) throws -> HTTPResponse {
        let job = try validateJob(try request.jsonBody(), text: request.body)
        guard try queue.depth() < options.maxQueuedJobs else {
            throw ServiceError(
                429, "queue_full", "the training queue holds \(options.maxQueuedJobs) jobs; retry later", retryAfter: 30
            )
        }
        let record = try store.insertJob(
            newModel: job.newModel, modelID: job.existingModel?.id, datasetID: job.datasetID, config: job.config,
            labels: job.labels)
        queue.submit(record.id)
        var headers = HTTPHeaders()
        headers.set("Location", "/v1/jobs/\(record.id)")
        return try Self.reply(record.description, status: .accepted, headers: headers)
    }
}

struct MetricsHistory: Encodable {
    var epochs: [EpochMetrics]
}

/// Extracts one member of a JSON object body as its own JSON text, so that a nested spec is
/// decoded by its Codable type with paths relative to it.
enum JSONEncoderBridge {
    static func data(from body: [UInt8], member: String) throws -> Data {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let value = object[member]
        else {
            throw ServiceError.invalid("'\(member)' is missing", path: member)
        }
        guard JSONSerialization.isValidJSONObject(value) else {
            throw ServiceError.invalid("'\(member)' must be an object", path: member)
        }
        return try JSONSerialization.data(withJSONObject: value)
    }

    /// The body object without some of its members, as JSON text.
    static func data(from body: [UInt8], removing members: Set<String>) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ServiceError.invalid("the body must be a JSON object", path: nil)
        }
        for member in members { object.removeValue(forKey: member) }
        return try JSONSerialization.data(withJSONObject: object)
    }
}
