import Foundation

/// The process-wide loops, one per core, shared by every server in the process (so tests
/// that start many servers do not start many threads).
enum HTTPEventLoopGroup {
    static let shared: [HTTPEventLoop] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map {
        HTTPEventLoop(name: "http.loop.\($0)")
    }
}
