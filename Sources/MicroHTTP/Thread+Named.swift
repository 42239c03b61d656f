import Foundation

extension Thread {
    /// Starts a thread named `name` (cut to the 15 bytes Linux keeps) that runs `body`.
    ///
    /// The name is set by the thread itself once `start()` has returned: on Linux a name set
    /// before start is dropped, and one set from the new thread before `start()` has recorded
    /// the thread's handle is silently ignored.
    static func startNamed(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let handleRecorded = DispatchSemaphore(value: 0)
        let shortName = String(name.utf8.prefix(15)) ?? name
        let thread = Thread {
            handleRecorded.wait()
            Thread.current.name = shortName
            body()
        }
        thread.start()
        handleRecorded.signal()
    }
}
