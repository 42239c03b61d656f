import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What an event loop calls back: readiness of the registered descriptor and timer expiry.
/// Called only on the loop's thread.
protocol EventLoopHandler: AnyObject {
    func loopReadable()
    func loopWritable()
    func loopTimer(_ deadline: UInt64)
}

/// One thread that waits in poll(2) on its connections' sockets and runs their handlers,
/// tasks handed over from other threads, and timers.
///
/// Why not one DispatchSource per socket: on Linux each source event costs two epoll_ctl
/// calls, an FIONREAD ioctl and a futex handoff between the Dispatch manager thread and a
/// worker, about five system calls on top of the recv and send a request needs, which
/// halved throughput. A loop thread reads, answers and writes without changing threads.
/// poll(2) is O(descriptors) per call, which is fine for the hundreds of connections a loop
/// holds here; it is the portable call that Swift's Glibc module exposes (epoll is not).
///
/// `@unchecked Sendable`: `lock` guards `tasks` and `wakeupPending`; every other property
/// is touched only on the loop thread.
final class HTTPEventLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [() -> Void] = []
    private var wakeupPending = false
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private var pollSet: [pollfd] = []
    private var handlers: [EventLoopHandler?] = []
    /// Position in `pollSet` of each registered descriptor.
    private var slots: [Int32: Int] = [:]
    private var timers = DeadlineHeap()

    init(name: String) {
        var ends: [Int32] = [0, 0]
        if pipe(&ends) != 0 { fatalError("MicroHTTP event loop: pipe failed, errno \(errno)") }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        pollSet.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        handlers.append(nil)
        Thread.startNamed(name) { [unowned self] in self.run() }
    }

    /// Runs `task` on the loop thread, after the current iteration's events.
    func execute(_ task: @escaping () -> Void) {
        lock.lock()
        tasks.append(task)
        let wake = !wakeupPending
        wakeupPending = true
        lock.unlock()
        if wake {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    // MARK: Loop-thread API

    func register(_ fd: Int32, handler: EventLoopHandler, read: Bool, write: Bool) {
        slots[fd] = pollSet.count
        pollSet.append(pollfd(fd: fd, events: Self.events(read: read, write: write), revents: 0))
        handlers.append(handler)
    }

    func setInterest(_ fd: Int32, read: Bool, write: Bool) {
        guard let slot = slots[fd] else { return }
        pollSet[slot].events = Self.events(read: read, write: write)
    }

    /// Forgets `fd`; the caller closes it afterwards.
    func deregister(_ fd: Int32) {
        guard let slot = slots.removeValue(forKey: fd) else { return }
        let last = pollSet.count - 1
        if slot != last {
            pollSet[slot] = pollSet[last]
            handlers[slot] = handlers[last]
            slots[pollSet[slot].fd] = slot
        }
        pollSet.removeLast()
        handlers.removeLast()
    }

    /// Calls `handler.loopTimer(deadline)` at or after `deadline` (DispatchTime nanoseconds).
    func schedule(_ deadline: UInt64, for handler: EventLoopHandler) {
        timers.push(deadline, handler)
    }

    private static func events(read: Bool, write: Bool) -> Int16 {
        Int16((read ? POLLIN : 0) | (write ? POLLOUT : 0))
    }

    private func run() {
        var ready: [(Int32, Int16)] = []
        while true {
            let timeout = pollTimeout()
            let count = poll(&pollSet, nfds_t(pollSet.count), timeout)
            if count < 0 && errno != EINTR { fatalError("MicroHTTP event loop: poll failed, errno \(errno)") }
            if count > 0 {
                ready.removeAll(keepingCapacity: true)
                for entry in pollSet where entry.revents != 0 { ready.append((entry.fd, entry.revents)) }
                for (fd, revents) in ready {
                    if fd == wakeRead { drainWakeups(); continue }
                    // Handlers may close and deregister themselves or others: look up each
                    // descriptor again instead of trusting the positions seen by poll.
                    guard let slot = slots[fd], let handler = handlers[slot] else { continue }
                    let hangup = Int16(POLLHUP | POLLERR | POLLNVAL)
                    if revents & (Int16(POLLIN) | hangup) != 0 { handler.loopReadable() }
                    if revents & Int16(POLLOUT) != 0, slots[fd] == slot { handler.loopWritable() }
                }
            }
            runTimers()
        }
    }

    private func pollTimeout() -> Int32 {
        guard let next = timers.nextDeadline else { return -1 }
        let now = DispatchTime.now().uptimeNanoseconds
        if next <= now { return 0 }
        // Round up so the timer is due when poll returns.
        return Int32(min((next - now + 999_999) / 1_000_000, 60_000))
    }

    private func drainWakeups() {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &sink, sink.count) > 0 {}
        lock.lock()
        let pending = tasks
        tasks = []
        wakeupPending = false
        lock.unlock()
        for task in pending { task() }
    }

    private func runTimers() {
        let now = DispatchTime.now().uptimeNanoseconds
        while let (deadline, handler) = timers.popDue(now: now) { handler?.loopTimer(deadline) }
    }
}
