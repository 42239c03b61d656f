import Foundation

/// Carries one request's body from its connection's event loop to its `HTTPBodyConsumer`: the
/// loop queues each decoded part and goes on; a task on the work pool takes the parts in order
/// (a serial queue on the pool: at most one drain task runs per feed), inflates them when the body
/// is gzip and hands them to the consumer. So a slow consumer never holds up the loop.
///
/// Backpressure: once more than `highWater` bytes wait, `append` tells the loop to stop reading
/// the socket; the drain calls `resume` (on its own thread) when they fall to `lowWater`.
///
/// `@unchecked Sendable`: `lock` guards `parts`, `head`, `queuedBytes`, `draining`, `ended`,
/// `cancelled`, `paused` and `completion`. `inflater`, `refused` and `failure` are used only by
/// the drain task, which never runs twice at once (`draining`).
final class HTTPBodyFeed: @unchecked Sendable {
    static let highWater = 2 << 20
    static let lowWater = 512 << 10
    static let turnBytes = 1 << 20

    let consumer: any HTTPBodyConsumer
    private let pool: HTTPWorkPool
    private let resume: @Sendable () -> Void

    private let lock = NSLock()
    private var parts: [[UInt8]] = []
    private var head = 0
    private var queuedBytes = 0
    private var draining = false
    private var ended = false
    private var cancelled = false
    private var paused = false
    private var completion: (@Sendable (HTTPError?) -> Void)?

    private var inflater: GzipInflater?
    private var refused = false
    private var failure: HTTPError?

    /// `contentCodings`: the request's `Content-Encoding` values other than identity, lowercased.
    init(
        consumer: any HTTPBodyConsumer, contentCodings: [String], inflatedLimit: Int, pool: HTTPWorkPool,
        resume: @escaping @Sendable () -> Void
    ) {
        self.consumer = consumer
        self.pool = pool
        self.resume = resume
        if contentCodings.isEmpty { return }
        // RFC 9110 §8.4: gzip (x-gzip is its old name) is the one coding this server undoes.
        if contentCodings == ["gzip"] || contentCodings == ["x-gzip"] {
            do {
                inflater = try GzipInflater(limit: inflatedLimit)
            } catch {
                failure = error as? HTTPError ?? .internalError
            }
        } else {
            failure = .unsupportedContentEncoding(contentCodings.joined(separator: ", "))
        }
    }

    /// On the loop: queues a part of the body. True when the loop should stop reading until
    /// `resume` is called.
    func append(_ part: [UInt8]) -> Bool {
        lock.lock()
        parts.append(part)
        queuedBytes += part.count
        let start = !draining
        draining = true
        if queuedBytes > Self.highWater { paused = true }
        let pause = paused
        lock.unlock()
        if start { pool.execute { [self] in drain() } }
        return pause
    }

    /// On the loop: the body is complete. `completion` runs on the work pool once every part has
    /// been consumed and the consumer finished, with the error that stopped the body, if any.
    func end(_ completion: @escaping @Sendable (HTTPError?) -> Void) {
        lock.lock()
        ended = true
        self.completion = completion
        let start = !draining
        draining = true
        lock.unlock()
        if start { pool.execute { [self] in drain() } }
    }

    /// The request was abandoned: queued parts are dropped, nothing more is consumed or finished.
    func cancel() {
        lock.lock()
        cancelled = true
        parts = []
        head = 0
        completion = nil
        lock.unlock()
    }

    private func drain() {
        var delivered = 0
        while true {
            lock.lock()
            if cancelled {
                draining = false
                lock.unlock()
                return
            }
            // A body that keeps arriving would hold a pool thread for as long as it lasts: after
            // `turnBytes` the drain goes to the back of the pool's queue, so other work (and other
            // bodies) get their turn.
            if delivered >= Self.turnBytes && head < parts.count {
                lock.unlock()
                pool.execute { [self] in drain() }
                return
            }
            guard head < parts.count else {
                let done = ended ? completion : nil
                completion = nil
                draining = false
                lock.unlock()
                if let done { done(finishBody()) }
                return
            }
            let part = parts[head]
            // The queue holds no part once taken, so a drain that never empties it still lets
            // each part go after use.
            parts[head] = []
            head += 1
            if head == parts.count {
                parts.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                parts.removeFirst(head)
                head = 0
            }
            lock.unlock()
            deliver(part)
            delivered += part.count
            lock.lock()
            queuedBytes -= part.count
            let wake = paused && queuedBytes <= Self.lowWater
            if wake { paused = false }
            lock.unlock()
            if wake { resume() }
        }
    }

    private func deliver(_ part: [UInt8]) {
        guard !refused, failure == nil else { return }
        part.withUnsafeBytes { bytes in
            guard let inflater else {
                refused = !consumer.consume(bytes)
                return
            }
            do {
                try inflater.inflate(bytes) { inflated in
                    refused = !consumer.consume(inflated)
                    return !refused
                }
            } catch {
                failure = error as? HTTPError ?? .internalError
            }
        }
    }

    private func finishBody() -> HTTPError? {
        if failure == nil, !refused, let inflater {
            do {
                try inflater.finish()
            } catch {
                failure = error as? HTTPError ?? .internalError
            }
        }
        if failure == nil { consumer.finish() }
        inflater = nil
        return failure
    }
}
