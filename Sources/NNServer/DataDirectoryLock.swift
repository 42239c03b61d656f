import Foundation
import Glibc

/// Advisory locks (flock(2)) in the data directory, so that nothing replaces the SQLite file
/// under a process that uses it. The kernel drops a lock when its process ends, however it
/// ends, so a killed process never leaves a stale one.
///
/// - `nnserve.lock`, exclusive: one server per directory (its start-up takes back the jobs
///   left running, which must not be another live server's), and `nnserve restore`. It holds
///   the holder's pid, for the message of whoever is refused.
/// - `nnserve.users.lock`, shared by the server and every worker process on the directory
///   (spawned or started by hand), exclusive for `nnserve restore`: a restore refuses while
///   any process still has the database open.
struct DataDirectoryLock {
    enum Holder {
        /// The API process (roles `all` and `api`).
        case server
        /// A worker process on the directory's SQLite file.
        case worker
        /// `nnserve restore`: nobody else may be there.
        case restore
    }

    private var descriptors: [Int32] = []

    struct Held: Error, CustomStringConvertible {
        var description: String
    }

    init(directory: String, holder: Holder = .server) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory)
        do {
            if holder != .worker {
                let path = base.appendingPathComponent("nnserve.lock").path
                let descriptor = try Self.lock(path, LOCK_EX) { holderPID in
                    "a running nnserve\(holderPID.map { " (pid \($0))" } ?? "") holds \(path); stop it first"
                }
                descriptors.append(descriptor)
                let pid = Array("\(getpid())\n".utf8)
                _ = ftruncate(descriptor, 0)
                _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            }
            let users = base.appendingPathComponent("nnserve.users.lock").path
            descriptors.append(
                try Self.lock(users, holder == .restore ? LOCK_EX : LOCK_SH) { _ in
                    "an nnserve worker process still uses \(directory) (\(users)); stop it first"
                })
        } catch {
            release()
            throw error
        }
    }

    private static func lock(_ path: String, _ operation: Int32, refusal: (String?) -> String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Held(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, operation | LOCK_NB) == 0 else {
            let pid = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            Glibc.close(descriptor)
            throw Held(description: refusal(pid?.isEmpty == false ? pid : nil))
        }
        return descriptor
    }

    func release() {
        for descriptor in descriptors {
            flock(descriptor, LOCK_UN)
            Glibc.close(descriptor)
        }
    }
}
