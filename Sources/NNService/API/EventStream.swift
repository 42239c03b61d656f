import Foundation
import MicroHTTP
import NNCore

extension ServiceApp {
    /// `GET /v1/jobs/{id}/events`: server-sent events. Each finished epoch is an `epoch`
    /// event and each state change a `status` event (JSON `data`); the stream ends after the
    /// job's final status event, at once for a job that has already ended. Listeners are
    /// callbacks on the job's event hub, which learns of epochs recorded by any process from
    /// the store, so an idle stream holds no thread; a quiet stream
    /// gets `: keep-alive` comments from the server (`HTTPLimits.eventStreamKeepAliveInterval`).
    func eventStream(_ job: JobRecord) throws -> HTTPResponse {
        let events = self.events
        let store = self.store
        let work = self.work
        // The producer is called on an event loop; it hands over to the handler pool, where
        // the job's current state is read from the store.
        return .eventStream { writer in
            work.execute { Self.startEventStream(writer, job: job, events: events, store: store) }
        }
    }

    private static func startEventStream(
        _ writer: HTTPStreamWriter, job: JobRecord, events: JobEvents, store: any ServiceStorage
    ) {
        // The current state first; a job that ended before subscribing ends the stream now.
        let current = (try? store.job(job.id)) ?? job
        EventEncoding.send(writer, "status", current.description)
        if current.status.hasEnded {
            writer.finish()
            return
        }
        let subscription = Subscription { [id = job.id] in events.unsubscribe(job: id, token: $0) }
        let token = events.subscribe(job: current) { event in
            switch event {
            case let .epoch(metrics):
                EventEncoding.send(writer, "epoch", metrics)
            case let .status(description):
                EventEncoding.send(writer, "status", description)
                if description.status.hasEnded {
                    // Unsubscribe before the stream closes, so that a client that has seen
                    // the end never finds the listener still registered.
                    subscription.end()
                    writer.finish()
                }
            }
        }
        subscription.start(token)
        writer.onCancel { subscription.end() }
    }
}

/// One listener's registration (on a job's or a sweep's event hub), removed exactly once
/// however the stream ends.
///
/// `@unchecked Sendable`: `token` and `ended` are guarded by `lock`.
final class Subscription: @unchecked Sendable {
    let unsubscribe: @Sendable (Int) -> Void
    private let lock = NSLock()
    private var token: Int?
    private var ended = false

    init(unsubscribe: @escaping @Sendable (Int) -> Void) {
        self.unsubscribe = unsubscribe
    }

    func start(_ token: Int) {
        lock.lock()
        let alreadyEnded = ended
        self.token = token
        lock.unlock()
        if alreadyEnded { unsubscribe(token) }
    }

    func end() {
        lock.lock()
        let token = ended ? nil : self.token
        ended = true
        lock.unlock()
        if let token { unsubscribe(token) }
    }
}

enum EventEncoding {
    static func send(_ writer: HTTPStreamWriter, _ name: String, _ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return }
        writer.sendEvent(name, data: String(decoding: data, as: UTF8.self))
    }
}
