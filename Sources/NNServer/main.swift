import Foundation
import MicroHTTP
import NNCore
import NNService

/// nnserve: opens the store under the data directory, resumes interrupted jobs, serves the
/// API and (under `NN_ROLE=all`) starts its worker processes, and on SIGTERM or SIGINT stops
/// accepting, lets in-flight requests finish (up to 10 s), then stops the workers, which
/// return running jobs to the queue (they resume from their last checkpoint), and exits 0.
/// `nnserve worker` (or `NN_ROLE=worker`) only trains, serving its health and metrics.

// A client that closes its socket while we write must cost an EPIPE on that socket, never
// the process (SIGPIPE's default action is to terminate). MicroHTTP sends with MSG_NOSIGNAL;
// this covers every other write (SQLite, log pipes).
signal(SIGPIPE, SIG_IGN)

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(ServerOption.helpText)
    exit(0)
}
if arguments.contains("--version") {
    print("nnserve \(Version.current)")
    exit(0)
}
if let verb = arguments.first, DatabaseCommands.names.contains(verb) {
    exit(DatabaseCommands.run(arguments))
}
var subcommandRole: ServerConfig.Role?
if arguments.first == "worker" {
    arguments.removeFirst()
    subcommandRole = .worker
}
AllocatorTuning.keepLargeBlocks()
let log: @Sendable (String) -> Void = { message in
    FileHandle.standardError.write(Data("\(ISO8601DateFormatter().string(from: Date())) \(message)\n".utf8))
}

var config: ServerConfig
do {
    config = try ServerConfig(environment: ProcessInfo.processInfo.environment, arguments: arguments)
    if let subcommandRole { config.role = subcommandRole }
} catch {
    FileHandle.standardError.write(Data("nnserve: \(error)\n".utf8))
    exit(2)
}
// The kernel set (--isa / NN_ISA, or the widest the CPU has); a forced set the CPU lacks
// stops here, before anything listens.
do { try KernelISA.selectAtStartup(environment: config.isa.map { [KernelISA.environmentKey: $0] } ?? [:]) } catch {
    FileHandle.standardError.write(Data("nnserve: \(error)\n".utf8))
    exit(2)
}

if config.role == .worker { WorkerSupervisor.followSupervisor(environment: ProcessInfo.processInfo.environment) }

do {
    // One server per data directory (SQLite); `nnserve restore` takes the same lock. Worker
    // processes share the directory with the server that holds it.
    let selection = try StoreSelection(config, lockHolder: config.role == .worker ? .worker : .server)
    let store = selection.store
    // Training loops on this process's own threads: a worker's loops, or the API's single
    // in-process loop when `all` is asked for no worker processes.
    let localWorkers =
        switch config.role {
        case .all: config.workers == 0 ? 1 : 0
        case .api: 0
        case .worker: max(1, config.workers)
        }
    let queue = JobQueue(
        store: store, events: JobEvents(store: store), workers: localWorkers, threadsPerJob: config.threads, log: log)
    var options = ServiceApp.Options()
    options.apiToken = config.apiToken
    options.openAPIPath = config.openAPIPath
    options.maxParameters = config.maxParameters
    options.maxEpochs = config.maxEpochs
    options.maxQueuedJobs = config.maxQueuedJobs
    if let bytes = config.maxMemoryBytes { options.maxMemoryBytes = bytes }
    let app = ServiceApp(store: store, queue: queue, options: options, log: log)
    var limits = HTTPLimits()
    limits.maxBodyBytes = config.maxBodyBytes
    let metrics = app.metrics
    let server = HTTPServer(
        configuration: HTTPServerConfiguration(
            host: config.host, port: config.port, router: config.role == .worker ? app.workerRouter() : app.router(),
            limits: limits,
            accessLog: config.logLevel == "debug" || config.logLevel == "info" ? .standardError : nil,
            observers: [{ metrics.observe($0) }], errorLog: log,
            maxConnectionsPerClient: config.maxConnectionsPerClient))

    // Signal handlers before listening: from the moment a client can connect, SIGTERM means
    // a graceful stop, never the default immediate death.
    let stopping = DispatchSemaphore(value: 0)
    var sources: [DispatchSourceSignal] = []
    for signalNumber in [SIGTERM, SIGINT] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { stopping.signal() }
        source.resume()
        sources.append(source)
    }

    // Only the process that owns the embedded store at start knows that every job still
    // marked running lost its worker; elsewhere (and on a shared PostgreSQL database, whose
    // running jobs may belong to workers elsewhere) lapsed leases tell. A worker announces
    // itself before it claims anything, so that its log names it before any job does.
    if config.role != .worker {
        try queue.start(requeueRunning: config.role == .all && config.databaseURL == nil)
        // Sweeps are run by the API processes (the store keeps any two from launching one
        // trial twice or exceeding a sweep's `parallel`).
        app.start()
    }
    try server.start()
    if config.role == .worker {
        log(
            "nnserve worker \(getpid()) training with \(localWorkers) loop(s) × \(config.threads) thread(s), \(KernelISA.active) kernels; health and metrics on \(config.host):\(server.port)"
        )
        try queue.start(requeueRunning: false)
    } else {
        if config.apiToken == nil && !ServerConfig.isLoopback(config.host) {
            log(
                "warning: the address \(config.host) reaches beyond loopback and no API token is set: anyone who can reach this port can use every /v1 route; set NN_API_TOKEN or NN_API_TOKEN_FILE"
            )
        }
        let training =
            config.role == .api
            ? "no training (role api)"
            : config.workers == 0
                ? "training in this process × \(config.threads) thread(s)"
                : "\(config.workers) worker process(es) × \(config.threads) thread(s)"
        log(
            "nnserve listening on \(config.host):\(server.port), data in \(selection.location), \(training), \(KernelISA.active) kernels"
        )
    }
    // After the line above, which start-up scripts wait for: the workers log their own.
    let supervisor =
        config.role == .all && config.workers > 0
        ? WorkerSupervisor(count: config.workers, arguments: arguments, store: store, log: log) : nil
    supervisor?.start()

    stopping.wait()
    if config.role == .worker {
        log("stopping worker \(getpid()): returning its running job to the queue at its last checkpoint")
        queue.stop(timeout: 8)
        server.shutdown(gracePeriod: 1)
    } else {
        // Stop accepting first, then let requests in flight finish, then stop training: a
        // request that stores something must not find its job queue gone.
        log("stopping: no new connections; finishing in-flight requests (up to 10 s)")
        server.shutdown(gracePeriod: 10)
        log("stopping: returning running jobs to the queue at their last checkpoint")
        app.stop()
        supervisor?.stop(timeout: 8)
        queue.stop(timeout: 5)
    }
    selection.close()
    log("stopped")
    exit(0)
} catch {
    log("nnserve could not start: \(error)")
    exit(1)
}
