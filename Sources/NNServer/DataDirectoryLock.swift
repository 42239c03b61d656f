import Foundation
import Glibc

/// An advisory lock on `nnserve.lock` in the data directory (flock(2), exclusive), held by a
/// running server for its whole life and by `nnserve restore` while it swaps the file. The
/// kernel drops it when the process ends, however it ends, so a killed server never leaves a
/// stale lock. The file holds the holder's pid, for the message of whoever is refused.
struct DataDirectoryLock {
    let path: String
    private let descriptor: Int32

    struct Held: Error, CustomStringConvertible {
        var description: String
    }

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = URL(fileURLWithPath: directory).appendingPathComponent("nnserve.lock").path
        descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Held(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            Glibc.close(descriptor)
            throw Held(
                description:
                    "a running nnserve\(holder.map { $0.isEmpty ? "" : " (pid \($0))" } ?? "") holds \(path); stop it first"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        Glibc.close(descriptor)
    }
}
