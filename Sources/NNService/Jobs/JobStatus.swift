/// A job's life as a value-type state machine: queued → running → succeeded | failed |
/// cancelled; a queued job may be cancelled; a running job interrupted by a stop or crash
/// goes back to queued and resumes from its last checkpoint.
public enum JobStatus: String, Codable, CaseIterable, Sendable {
    case queued, running, succeeded, failed, cancelled

    public enum Event: Sendable {
        case start, succeed, fail, cancel, interrupt
    }

    public var hasEnded: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// The state after `event`, or nil when the event is not allowed in this state.
    public func after(_ event: Event) -> JobStatus? {
        switch (self, event) {
        case (.queued, .start): return .running
        case (.queued, .cancel), (.running, .cancel): return .cancelled
        case (.running, .succeed): return .succeeded
        case (.running, .fail), (.queued, .fail): return .failed
        case (.running, .interrupt): return .queued
        default: return nil
        }
    }
}
