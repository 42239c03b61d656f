import Foundation
import SQLiteStore

/// `nnserve backup DEST` and `nnserve restore SRC`: a consistent copy of the live database, and
/// putting one back in place of the database of a stopped server. Both find the database
/// through --data-dir / NN_DATA_DIR, print what they did, and answer an exit status.
enum DatabaseCommands {
    static let names: Set<String> = ["backup", "restore"]

    struct Failure: Error, CustomStringConvertible {
        var description: String
        var status: Int32 = 1
    }

    static func run(_ arguments: [String]) -> Int32 {
        let verb = arguments[0]
        do {
            guard arguments.count >= 2, !arguments[1].hasPrefix("--") else {
                throw Failure(
                    description: "usage: nnserve \(verb) \(verb == "backup" ? "DEST" : "SRC") [--data-dir DIR]",
                    status: 2)
            }
            let config: ServerConfig
            do {
                config = try ServerConfig(
                    environment: ProcessInfo.processInfo.environment, arguments: Array(arguments.dropFirst(2)))
            } catch { throw Failure(description: "\(error)", status: 2) }
            // A PostgreSQL store is backed up and restored with the server's own tools, which
            // also cover the other processes sharing it.
            if let url = config.databaseURL {
                throw Failure(
                    description:
                        "the store is the PostgreSQL database \(url), not a SQLite file; use pg_dump / pg_restore (or the database service's backups), or unset NN_DATABASE_URL",
                    status: 2)
            }
            let database = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("nnserve.sqlite").path
            let message =
                verb == "backup"
                ? try backup(database: database, to: arguments[1])
                : try restore(from: arguments[1], database: database, directory: config.dataDirectory)
            print(message)
            return 0
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("nnserve \(verb): \(failure.description)\n".utf8))
            return failure.status
        } catch {
            FileHandle.standardError.write(Data("nnserve \(verb): \(error)\n".utf8))
            return 1
        }
    }

    /// Copies with SQLite's online backup API from a connection of its own: the server goes on
    /// training and serving, and the copy is the database as it was at one instant.
    static func backup(database: String, to destination: String) throws -> String {
        guard FileManager.default.fileExists(atPath: database) else {
            throw Failure(description: "no database at \(database); set --data-dir or NN_DATA_DIR")
        }
        var target = destination
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            target = URL(fileURLWithPath: target).appendingPathComponent("nnserve-\(stamp).sqlite").path
        }
        guard URL(fileURLWithPath: target).standardized.path != URL(fileURLWithPath: database).standardized.path else {
            throw Failure(description: "the destination is the live database itself")
        }
        let started = Date()
        let source = try Database(path: database)
        let pages = try source.backup(to: target)
        try source.close()
        let summary = try verify(target)
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        return "nnserve backup: copied \(database) to \(target) (\(pages) pages, \(byteText(fileSize(target)))) "
            + "in \(seconds) s; \(summary)"
    }

    /// Replaces the database of a stopped server with a verified copy of `source`. Refuses while
    /// a server or a worker process holds the data directory's locks (see `DataDirectoryLock`); the database it
    /// replaces is kept beside it as `nnserve.sqlite.pre-restore`.
    static func restore(from source: String, database: String, directory: String) throws -> String {
        guard FileManager.default.fileExists(atPath: source) else { throw Failure(description: "no file at \(source)") }
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory, holder: .restore) } catch {
            throw Failure(description: "refusing to restore: \(error)")
        }
        defer { lock.release() }
        let staging = database + ".restoring"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) } }
        // Copying through the backup API (not the bytes of the file) also takes in a WAL that
        // lies beside `source`, and fails cleanly on anything that is not a SQLite database.
        do {
            let from = try Database(path: source)
            try from.backup(to: staging)
            try from.close()
        } catch { throw Failure(description: "\(source) is not a readable SQLite database: \(error)") }
        let summary = try verify(staging)
        var kept = ""
        if FileManager.default.fileExists(atPath: database) {
            // Fold the old log into the old file so that the file kept aside is whole, and no
            // stale -wal is left to be replayed into the restored one.
            let old = try Database(path: database)
            try old.checkpoint()
            try old.close()
            let aside = database + ".pre-restore"
            try? FileManager.default.removeItem(atPath: aside)
            try FileManager.default.moveItem(atPath: database, toPath: aside)
            kept = "; the previous database is kept at \(aside)"
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        guard rename(staging, database) == 0 else {
            throw Failure(description: "cannot move \(staging) to \(database): \(String(cString: strerror(errno)))")
        }
        return "nnserve restore: replaced \(database) with \(source); \(summary)\(kept)"
    }

    /// `PRAGMA integrity_check` on a copy, and what it holds.
    static func verify(_ path: String) throws -> String {
        let copy = try Database(path: path)
        defer { try? copy.close() }
        let problems = try copy.integrityCheck()
        guard problems == ["ok"] else {
            throw Failure(
                description: "\(path) fails PRAGMA integrity_check: \(problems.prefix(5).joined(separator: "; "))")
        }
        let tables = try copy.read { db in
            Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").map { try $0.get(at: 0) as String })
        }
        guard tables.contains("schema_migrations") else {
            throw Failure(
                description: "\(path) is a SQLite database but not an nnserve one (it has no schema_migrations)")
        }
        let counts = try ["datasets": "data sets", "models": "models", "jobs": "jobs", "checkpoints": "checkpoints"]
            .sorted { $0.key < $1.key }.filter { tables.contains($0.key) }.map { table, label in
                let count = try copy.read { try $0.queryOne("SELECT COUNT(*) FROM \(table)")?.get(at: 0, as: Int.self) }
                return "\(count ?? 0) \(label)"
            }
        return "integrity_check ok; " + counts.joined(separator: ", ")
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func byteText(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : "\(bytes) bytes"
    }
}
