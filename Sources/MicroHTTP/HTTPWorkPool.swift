import Foundation

/// A fixed number of threads that run queued work in order of arrival: where anything slow
/// runs (inflating a gzip request body, compressing a large response, an application's
/// handlers), so that the event loops only move bytes.
///
/// Why not a concurrent DispatchQueue: its width is not bounded by anything the server
/// controls, and work that blocks (a database call) makes Dispatch start more threads. A pool
/// of N threads runs at most N tasks at once and queues the rest, so a burst of expensive
/// requests waits its turn instead of oversubscribing the cores (and the memory each one
/// holds while it runs). Threads start on demand, up to the limit, and end when the pool is
/// released.
///
/// `@unchecked Sendable`: `Shared.condition` (an NSCondition, also the lock) guards every
/// mutable property of `Shared`.
public final class HTTPWorkPool: @unchecked Sendable {
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var tasks: [@Sendable () -> Void] = []
        var head = 0
        var threads = 0
        var idle = 0
        var running = 0
        var released = false
    }

    /// Threads are named "<name>.<n>", cut to the 15 bytes Linux keeps.
    public let name: String
    /// Tasks that run at once at most.
    public let threadLimit: Int
    private let shared = Shared()

    public init(name: String, threads: Int) {
        self.name = name
        self.threadLimit = max(1, threads)
    }

    /// MicroHTTP's own pool for request inflation and response compression: one thread per
    /// core, at least two.
    public static let shared = HTTPWorkPool(
        name: "http.work", threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    deinit {
        shared.condition.lock()
        shared.released = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Queues `task`; it runs on one of the pool's threads after the tasks queued before it
    /// have started.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let shared = self.shared
        shared.condition.lock()
        shared.tasks.append(task)
        // A new thread only when the waiting tasks outnumber the threads waiting for work.
        let startThread = shared.tasks.count - shared.head > shared.idle && shared.threads < threadLimit
        if startThread { shared.threads += 1 }
        let threadNumber = shared.threads
        shared.condition.signal()
        shared.condition.unlock()
        if startThread { Thread.startNamed("\(name).\(threadNumber)") { Self.work(shared) } }
    }

    /// Tasks queued and not yet started.
    public var queuedCount: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.tasks.count - shared.head
    }

    /// Tasks running now.
    public var runningCount: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.running
    }

    private static func work(_ shared: Shared) {
        shared.condition.lock()
        while true {
            while shared.head == shared.tasks.count && !shared.released {
                shared.idle += 1
                shared.condition.wait()
                shared.idle -= 1
            }
            if shared.head == shared.tasks.count {
                shared.threads -= 1
                shared.condition.unlock()
                return
            }
            let task = shared.tasks[shared.head]
            shared.head += 1
            // Drop run tasks in batches, so the queue array does not grow without bound.
            if shared.head == shared.tasks.count {
                shared.tasks.removeAll(keepingCapacity: true)
                shared.head = 0
            } else if shared.head >= 1024 {
                shared.tasks.removeFirst(shared.head)
                shared.head = 0
            }
            shared.running += 1
            shared.condition.unlock()
            task()
            shared.condition.lock()
            shared.running -= 1
        }
    }
}
