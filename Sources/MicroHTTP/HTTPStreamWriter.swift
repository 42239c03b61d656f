import Foundation

/// Writes the body of a streamed response (chunked, RFC 9112 §7.1) from any thread.
///
/// Writes are queued in order on the connection's event loop. `completion` reports when the bytes
/// have been handed to the socket (`true`) or can never be (`false`: the client left or the
/// server closed the connection); a producer of a large download writes the next piece from
/// the completion of the previous one, so memory stays bounded. `finish()` ends the body.
public final class HTTPStreamWriter: @unchecked Sendable {
    // `lock` guards `cancelled`, `finished` and `cancelHandlers`; the sink (the connection)
    // hops onto its own event loop.
    private let lock = NSLock()
    private var cancelled = false
    private var finished = false
    private var cancelHandlers: [@Sendable () -> Void] = []
    private let sink: StreamSink

    init(sink: StreamSink) { self.sink = sink }

    /// True once the client has gone or the connection was closed; further writes are dropped.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Queues `bytes` as one chunk. Empty writes are ignored (an empty chunk would end the body).
    public func write(_ bytes: [UInt8], completion: (@Sendable (Bool) -> Void)? = nil) {
        lock.lock()
        let open = !cancelled && !finished
        lock.unlock()
        guard open else { completion?(false); return }
        if bytes.isEmpty { completion?(true); return }
        sink.streamWrite(bytes, completion: completion)
    }

    public func write(_ text: String, completion: (@Sendable (Bool) -> Void)? = nil) {
        write(Array(text.utf8), completion: completion)
    }

    /// Writes one server-sent event (HTML Living Standard, "event stream interpretation"):
    /// an optional `event:` line, one `data:` line per line of `data`, then an empty line.
    public func sendEvent(
        _ event: String? = nil, data: String, id: String? = nil, completion: (@Sendable (Bool) -> Void)? = nil
    ) {
        var text = ""
        if let id { text += "id: \(id)\n" }
        if let event { text += "event: \(event)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        write(text + "\n", completion: completion)
    }

    /// Ends the body (the last chunk); later writes are dropped.
    public func finish() {
        lock.lock()
        let first = !finished && !cancelled
        finished = true
        lock.unlock()
        if first { sink.streamFinish() }
    }

    /// Runs `handler` once when the stream is cancelled (at once if it already is). Handlers
    /// run on the connection's event loop and must not block.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if cancelled {
            lock.unlock()
            handler()
            return
        }
        cancelHandlers.append(handler)
        lock.unlock()
    }

    /// Called by the connection when the client leaves before `finish()`.
    func cancel() {
        lock.lock()
        guard !cancelled && !finished else { lock.unlock(); return }
        cancelled = true
        let handlers = cancelHandlers
        cancelHandlers = []
        lock.unlock()
        for handler in handlers { handler() }
    }
}

/// Where a stream writer delivers its bytes: the connection, or a test double.
protocol StreamSink: AnyObject, Sendable {
    func streamWrite(_ bytes: [UInt8], completion: (@Sendable (Bool) -> Void)?)
    func streamFinish()
}
