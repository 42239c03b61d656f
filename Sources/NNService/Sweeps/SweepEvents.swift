import Foundation

/// Fan-out of sweep events to listeners (the sweep event streams): a `trial` event when a
/// trial's status, epochs or metric changes, and a `status` event with the whole sweep when the
/// sweep's own status changes. `SweepController` publishes them from what it reads in the store.
///
/// `@unchecked Sendable`: `listeners` and `nextToken` are guarded by `lock`.
final class SweepEvents: @unchecked Sendable {
    enum Event: Sendable {
        case trial(SweepDescription.Trial)
        case status(SweepDescription)
    }

    private let lock = NSLock()
    private var listeners: [String: [Int: @Sendable (Event) -> Void]] = [:]
    private var nextToken = 0

    func subscribe(sweep: String, _ listener: @escaping @Sendable (Event) -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        listeners[sweep, default: [:]][nextToken] = listener
        return nextToken
    }

    func unsubscribe(sweep: String, token: Int) {
        lock.lock()
        defer { lock.unlock() }
        listeners[sweep]?[token] = nil
        if listeners[sweep]?.isEmpty == true { listeners[sweep] = nil }
    }

    func publish(sweep: String, _ event: Event) {
        lock.lock()
        let targets = listeners[sweep].map { Array($0.values) } ?? []
        lock.unlock()
        for listener in targets { listener(event) }
    }

    var listenerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return listeners.values.reduce(0) { $0 + $1.count }
    }
}
