import Foundation
import MicroHTTP
import NNCore

extension ServiceApp {
    /// `GET /v1/jobs/{id}/events`: server-sent events. Each finished epoch is an `epoch`
    /// event and each state change a `status` event (JSON `data`); the stream ends after the
    /// job's final status event, at once for a job that has already ended. Listeners are
    /// callbacks on the job's event hub, so an idle stream holds no thread.
    func eventStream(_ job: JobRecord) throws -> HTTPResponse {
        let events = self.events
        let store = self.store
        return .eventStream { writer in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            func send(_ name: String, _ value: some Encodable) {
                guard let data = try? encoder.encode(value) else { return }
                writer.sendEvent(name, data: String(decoding: data, as: UTF8.self))
            }
            let token = events.subscribe(job: job.id) { event in
                switch event {
                case let .epoch(metrics):
                    send("epoch", metrics)
                case let .status(description):
                    send("status", description)
                    if description.status.hasEnded { writer.finish() }
                }
            }
            writer.onCancel { events.unsubscribe(job: job.id, token: token) }
            // The current state first; a job that ended before subscribing ends the stream now.
            let current = (try? store.job(job.id)) ?? job
            send("status", current.description)
            if current.status.hasEnded {
                events.unsubscribe(job: job.id, token: token)
                writer.finish()
            }
        }
    }
}
