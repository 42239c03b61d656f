import Foundation
import MicroHTTP
import NNCore
import NNService

/// nnserve: opens the store under the data directory, resumes interrupted jobs, serves the
/// API, and on SIGTERM or SIGINT stops accepting, finishes in-flight requests, returns
/// running jobs to the queue (they resume from their last checkpoint) and exits 0.
let arguments = Array(CommandLine.arguments.dropFirst())
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
AllocatorTuning.keepLargeBlocks()
let log: @Sendable (String) -> Void = { message in
    FileHandle.standardError.write(Data("\(ISO8601DateFormatter().string(from: Date())) \(message)\n".utf8))
}

let config: ServerConfig
do {
    config = try ServerConfig(environment: ProcessInfo.processInfo.environment, arguments: arguments)
} catch {
    FileHandle.standardError.write(Data("nnserve: \(error)\n".utf8))
    exit(2)
}

do {
    // One server per data directory; `nnserve restore` takes the same lock.
    let lock = try DataDirectoryLock(directory: config.dataDirectory)
    defer { lock.release() }
    let databasePath = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("nnserve.sqlite").path
    let store = try ServiceStore(path: databasePath)
    let queue = JobQueue(
        store: store, events: JobEvents(), workers: config.workers, threadsPerJob: config.threads, log: log)
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
            host: config.host, port: config.port, router: app.router(), limits: limits,
            accessLog: config.logLevel == "debug" || config.logLevel == "info" ? .standardError : nil,
            observers: [{ metrics.observe($0) }], errorLog: log))
    try queue.start()
    try server.start()
    log(
        "nnserve listening on \(config.host):\(server.port), data in \(databasePath), \(config.workers) worker(s) × \(config.threads) thread(s)"
    )

    let stopping = DispatchSemaphore(value: 0)
    var sources: [DispatchSourceSignal] = []
    for signalNumber in [SIGTERM, SIGINT] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { stopping.signal() }
        source.resume()
        sources.append(source)
    }
    stopping.wait()
    log("stopping: finishing in-flight requests and checkpointed jobs")
    queue.stop(timeout: 5)
    server.shutdown(gracePeriod: 3)
    _ = try? store.database.checkpoint()
    try? store.close()
    log("stopped")
    exit(0)
} catch {
    log("nnserve could not start: \(error)")
    exit(1)
}
