import Foundation
import NNCore

/// Fan-out of job events (finished epochs, status changes) to listeners such as
/// server-sent-event streams. Listeners are callbacks, so no thread waits per listener.
///
/// `@unchecked Sendable`: `listeners` and `nextToken` are guarded by `lock`.
public final class JobEvents: @unchecked Sendable {
    public enum Event: Sendable {
        case epoch(EpochMetrics)
        case status(JobRecord.Description)
    }

    private let lock = NSLock()
    private var listeners: [String: [Int: @Sendable (Event) -> Void]] = [:]
    private var nextToken = 0

    public init() {}

    /// Registers a listener for one job; returns a token for `unsubscribe`.
    public func subscribe(job: String, _ listener: @escaping @Sendable (Event) -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        listeners[job, default: [:]][nextToken] = listener
        return nextToken
    }

    public func unsubscribe(job: String, token: Int) {
        lock.lock()
        defer { lock.unlock() }
        listeners[job]?[token] = nil
        if listeners[job]?.isEmpty == true { listeners[job] = nil }
    }

    func publish(job: String, _ event: Event) {
        lock.lock()
        let targets = listeners[job].map { Array($0.values) } ?? []
        lock.unlock()
        for listener in targets { listener(event) }
    }

    public var listenerCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return listeners.values.reduce(0) { $0 + $1.count }
    }
}
