import Foundation
import MicroHTTP
import NNCore

extension ServiceApp {
    /// The store's sweeps and their controller.
    func sweepParts() throws -> (store: any SweepStorage, controller: SweepController) { (sweepStore, sweeps) }

    func addSweepRoutes(_ router: inout HTTPRouter) {
        router.post("/v1/sweeps", handle { [self] request in try submitSweep(request) })
        router.get(
            "/v1/sweeps",
            handle { [self] request in
                let store = try sweepParts().store
                let page = try request.page()
                let records = try store.sweeps(limit: page.limit, after: page.after)
                let items = try records.map {
                    SweepDescription(record: $0, trials: try store.sweepTrials($0.id), includeTrials: false)
                }
                return try Self.reply(ListPage(items: items, limit: page.limit, id: \.record.id))
            })
        router.get("/v1/sweeps/{id}", handle { [self] request in try Self.reply(try sweepDescription(request)) })
        router.post(
            "/v1/sweeps/{id}/cancel",
            handle { [self] request in
                let (store, controller) = try sweepParts()
                let sweep = try sweepDescription(request).record
                guard try store.endSweep(sweep.id, status: .cancelled) else {
                    throw ServiceError.conflict(
                        "sweep \(sweep.id) has already ended (\(sweep.status.rawValue)); only a running sweep can be cancelled"
                    )
                }
                // The sweep is no longer running, so no trial launches after this; the ones
                // queued or running now stop (a trial that ended meanwhile is left as it is).
                for trial in try store.sweepTrials(sweep.id) where trial.isActive {
                    _ = try? queue.cancel(trial.jobID!)
                }
                controller.wake(sweep: sweep.id)
                return try Self.reply(try sweepDescription(request))
            })
        router.get(
            "/v1/sweeps/{id}/events", handle { [self] request in try sweepEventStream(try sweepDescription(request)) })
    }

    func sweepDescription(_ request: HTTPRequest) throws -> SweepDescription {
        let store = try sweepParts().store
        let id = request.pathParameter("id")
        guard let record = try store.sweep(id) else { throw ServiceError.notFound("sweep", id) }
        return SweepDescription(record: record, trials: try store.sweepTrials(id), includeTrials: true)
    }

    /// Checks the whole sweep (`admitSweep`) before storing it with every trial's parameters;
    /// the controller then launches the first trials.
    func submitSweep(_ request: HTTPRequest) throws -> HTTPResponse {
        let (store, controller) = try sweepParts()
        let plan = try admitSweep(try request.jsonBody())
        let record = try store.insertSweep(plan.request, metric: plan.metric, goal: plan.goal, trials: plan.trials)
        controller.wake(sweep: record.id)
        var headers = HTTPHeaders()
        headers.set("Location", "/v1/sweeps/\(record.id)")
        let description = SweepDescription(
            record: record, trials: try store.sweepTrials(record.id), includeTrials: true)
        return try Self.reply(description, status: .accepted, headers: headers)
    }

    /// `GET /v1/sweeps/{id}/events`: server-sent events, as for a job: first a `status` event
    /// with the whole sweep, then a `trial` event whenever a trial's status, epochs or metric
    /// changes and a `status` event when the sweep's status changes; the stream ends after the
    /// sweep's final `status` event (at once for a sweep that has ended).
    func sweepEventStream(_ sweep: SweepDescription) throws -> HTTPResponse {
        let (store, controller) = try sweepParts()
        let events = controller.events
        let work = self.work
        return .eventStream { writer in
            work.execute {
                let id = sweep.record.id
                // Events that arrive before the first `status` wait behind it, so the stream
                // always opens with the whole sweep; everything is sent under one lock, in order.
                let gate = SweepStreamGate()
                let subscription = Subscription { events.unsubscribe(sweep: id, token: $0) }
                @Sendable func deliver(_ event: SweepEvents.Event) {
                    guard !gate.finished else { return }
                    switch event {
                    case .trial(let trial):
                        EventEncoding.send(writer, "trial", trial)
                    case .status(let description):
                        EventEncoding.send(writer, "status", description)
                        if description.record.status.hasEnded {
                            gate.finished = true
                            subscription.end()
                            writer.finish()
                        }
                    }
                }
                let token = events.subscribe(sweep: id) { event in
                    gate.lock.lock()
                    defer { gate.lock.unlock() }
                    if gate.opened { deliver(event) } else { gate.pending.append(event) }
                }
                subscription.start(token)
                writer.onCancel { subscription.end() }
                let current =
                    (try? store.sweep(id)).flatMap { $0 }.map {
                        SweepDescription(
                            record: $0, trials: (try? store.sweepTrials(id)) ?? sweep.trials, includeTrials: true)
                    } ?? sweep
                gate.lock.lock()
                defer { gate.lock.unlock() }
                deliver(.status(current))
                gate.opened = true
                for event in gate.pending { deliver(event) }
                gate.pending = []
            }
        }
    }
}

/// The order of one sweep event stream: events held until the first `status` is sent, and
/// whether the stream has finished. `@unchecked Sendable`: every field is guarded by `lock`.
final class SweepStreamGate: @unchecked Sendable {
    let lock = NSLock()
    var opened = false
    var finished = false
    var pending: [SweepEvents.Event] = []
}
