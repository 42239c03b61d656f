import Foundation
import Glibc
import NNService

/// Under `NN_ROLE=all`: keeps `count` `nnserve worker` child processes running. Each slot has
/// a thread that spawns its child (posix_spawn of this executable, with this process's flags
/// and environment), waits for it, and when it dies unasked takes back its job at once (the
/// crash rules count the death; no waiting for the lease to lapse) and starts another after
/// a backoff. A job's SIGKILLed or crashing worker therefore never takes the API down.
///
/// A child watches its supervisor (`followSupervisor`) and ends itself when it is gone, so a
/// killed server leaves no orphaned workers behind; their leases were cleared by then or
/// lapse, so an orphan's last writes are refused.
///
/// `@unchecked Sendable`: `children`, `stopping` and `exited` are guarded by `condition`.
final class WorkerSupervisor: @unchecked Sendable {
    let count: Int
    let arguments: [String]
    let store: any ServiceStorage
    let log: @Sendable (String) -> Void

    private let condition = NSCondition()
    private var children: [Int: pid_t] = [:]
    private var stopping = false
    private var exited = 0

    /// The environment variable through which a child learns its supervisor's pid, so that it
    /// can tell whether that process already died before it asked to follow it.
    static let parentVariable = "NN_SUPERVISOR_PID"

    /// The pause before the first restart, doubled after each quick death up to 30 s.
    static let firstBackoff = 0.25

    init(count: Int, arguments: [String], store: any ServiceStorage, log: @escaping @Sendable (String) -> Void) {
        self.count = count
        // Later flags win: each child picks its own free port for its health endpoints and
        // runs one training loop.
        self.arguments = ["worker"] + arguments + ["--port", "0", "--workers", "1"]
        self.store = store
        self.log = log
    }

    func start() {
        for slot in 0..<count {
            let thread = Thread { [self] in supervise(slot) }
            thread.name = "nnserve-supervisor-\(slot)"
            thread.start()
        }
    }

    /// SIGTERM to every child (each returns its job to the queue at the last checkpoint and
    /// exits), waiting up to `timeout` seconds, then SIGKILL to any left.
    func stop(timeout: TimeInterval) {
        condition.lock()
        stopping = true
        condition.broadcast()
        for pid in children.values { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while exited < count && condition.wait(until: deadline) {}
        for pid in children.values { kill(pid, SIGKILL) }
        condition.unlock()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Waits `seconds`, or less when a stop comes: a slot pausing between restarts must not
    /// hold up the server's exit.
    private func pause(_ seconds: Double) {
        condition.lock()
        if !stopping { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        condition.unlock()
    }

    private func supervise(_ slot: Int) {
        var backoff = Self.firstBackoff
        while !isStopping {
            let started = Date()
            guard let pid = spawn() else {
                log("worker slot \(slot): cannot start a worker process; retrying in \(backoff) s")
                pause(backoff)
                backoff = min(backoff * 2, 30)
                continue
            }
            condition.lock()
            children[slot] = pid
            // A stop that came while spawning must reach this child too.
            if stopping { kill(pid, SIGTERM) }
            condition.unlock()
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            condition.lock()
            children[slot] = nil
            let asked = stopping
            condition.unlock()
            if asked { break }
            log("worker process \(pid) ended (\(Self.describe(status))); starting another")
            takeBackJobs(of: pid)
            // A worker that keeps dying at once (a broken store, say) is restarted ever more
            // slowly; one that ran a while starts the backoff again.
            backoff = Date().timeIntervalSince(started) > 60 ? Self.firstBackoff : backoff
            pause(backoff)
            backoff = min(backoff * 2, 30)
        }
        condition.lock()
        exited += 1
        condition.broadcast()
        condition.unlock()
    }

    /// The dead child's lease owner is "host/pid/0" (`TrainingWorker.processOwner` of its
    /// process, loop 0): its running job goes back to the queue now, counted as a crash.
    private func takeBackJobs(of pid: pid_t) {
        let owner = "\(ProcessInfo.processInfo.hostName)/\(pid)/0"
        do {
            let (requeued, crashed) = try store.requeueAbandonedJobs(.ownedBy(owner))
            for id in requeued { log("job \(id) resumes from its last checkpoint (its worker process died)") }
            for id in crashed {
                log(
                    "job \(id) failed: its process died \(JobRecord.maxCrashes) times while it ran (error code crashed)"
                )
            }
        } catch {
            log("cannot take back the jobs of worker process \(pid): \(error); they resume when their lease lapses")
        }
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "signal \(signal)"
    }

    /// posix_spawn(3) of /proc/self/exe: no fork of this many-threaded process. The child
    /// starts with default SIGTERM/SIGINT/SIGPIPE handling and an empty signal mask. It
    /// inherits no other descriptor: sockets, the lock file and SQLite's files are all opened
    /// close-on-exec.
    private func spawn() -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        var environment = ProcessInfo.processInfo.environment
        environment[Self.parentVariable] = String(getpid())
        let executable = "/proc/self/exe"
        let argv = ([CommandLine.arguments.first ?? "nnserve"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            log("posix_spawn \(executable): \(String(cString: strerror(code)))")
            return nil
        }
        return pid
    }

    /// In a child: end at once when the supervisor is gone (the child is then reparented, so
    /// its parent pid changes), checked every 100 ms on a thread of its own. `_exit`, not a
    /// graceful stop: the supervisor died without stopping its workers, and the next server
    /// takes their jobs back under the crash rules.
    static func followSupervisor(environment: [String: String]) {
        guard let text = environment[parentVariable], let parent = pid_t(text) else { return }
        let thread = Thread {
            while getppid() == parent { usleep(100_000) }
            _exit(1)
        }
        thread.name = "nnserve-follow"
        thread.start()
    }
}
