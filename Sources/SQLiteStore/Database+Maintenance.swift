import CSQLite
import Foundation
import Glibc

/// Keeping the file bounded and copying it: incremental vacuum, WAL size, online backup.
extension Database {
    /// Turns on incremental auto-vacuum (https://www.sqlite.org/pragma.html#pragma_auto_vacuum):
    /// freed pages can then be handed back to the file system with `incrementalVacuum()`. A
    /// database that already holds tables only changes mode through a VACUUM, which rewrites the
    /// whole file once (and needs as much free disk as the file); a new one changes at once.
    /// Answers true when this call changed the mode.
    @discardableResult
    public func enableIncrementalAutoVacuum() throws -> Bool {
        try write { connection in
            // 2 = INCREMENTAL.
            func mode() throws -> Int { try connection.queryOne("PRAGMA auto_vacuum")?.get(at: 0, as: Int.self) ?? 0 }
            guard try mode() != 2 else { return false }
            try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            if try mode() != 2 {
                try connection.execute("VACUUM")
            }
            return true
        }
    }

    /// Caps the size the write-ahead log is truncated to after a checkpoint resets it
    /// (https://www.sqlite.org/pragma.html#pragma_journal_size_limit); without it the `-wal`
    /// file keeps the size of the largest transaction ever written.
    public func limitJournalSize(bytes: Int) throws {
        try write { connection in _ = try connection.query("PRAGMA journal_size_limit = \(max(0, bytes))") }
    }

    /// Moves free pages to the end of the file and truncates them
    /// (https://www.sqlite.org/pragma.html#pragma_incremental_vacuum), then checkpoints so
    /// that the shorter file reaches the disk; in WAL mode the truncation happens when the
    /// log is copied back. A busy checkpoint (a reader such as a running backup) is left for
    /// the next one rather than waited for.
    public func incrementalVacuum() throws {
        try write { connection in _ = try connection.query("PRAGMA incremental_vacuum") }
        boundLog(minimumBytes: 0)
    }

    /// Copies what the log holds into the file without waiting for readers
    /// (`SQLITE_CHECKPOINT_PASSIVE`, https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), so a
    /// long run of large transactions keeps the `-wal` file near one transaction's size even
    /// while a backup reads. Answers the frames in the log and how many were copied.
    @discardableResult
    public func passiveCheckpoint() throws -> (logFrames: Int, checkpointedFrames: Int) {
        try write { connection in
            var log: Int32 = 0
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            guard code == SQLITE_OK else {
                throw DatabaseError.from(code: code, handle: connection.handle, sql: "wal_checkpoint(PASSIVE)")
            }
            return (Int(log), Int(copied))
        }
    }

    /// Checkpoints and truncates the log once it holds `minimumBytes` or more, when that is
    /// quick; else leaves a passive checkpoint (which never waits) to keep it in check: a reader
    /// such as a running backup may hold the log, and training should not wait for it. With
    /// `journal_size_limit` set, a log that could not be truncated now is cut back when the next
    /// writer resets it (https://www.sqlite.org/wal.html, "Avoiding Excessively Large WAL Files").
    /// A smaller log is left alone: SQLite's own checkpoint at 1000 pages keeps it small, and a
    /// checkpoint costs an fsync.
    public func boundLog(minimumBytes: Int = 1 << 20, waitMilliseconds: Int32 = 200) {
        guard !isInMemory else { return }
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        guard (size?.intValue ?? 0) >= minimumBytes else { return }
        let truncated: Bool =
            (try? write { connection in
                sqlite3_busy_timeout(connection.handle, waitMilliseconds)
                defer { sqlite3_busy_timeout(connection.handle, max(0, options.busyTimeoutMilliseconds)) }
                var log: Int32 = 0
                var copied: Int32 = 0
                return sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, &log, &copied)
                    == SQLITE_OK
            }) ?? false
        if !truncated { _ = try? passiveCheckpoint() }
    }

    /// Size of the database file in bytes as SQLite sees it (page_count × page_size).
    public func fileBytes() throws -> Int {
        try read { connection in
            let pages = try connection.queryOne("PRAGMA page_count")?.get(at: 0, as: Int.self) ?? 0
            let size = try connection.queryOne("PRAGMA page_size")?.get(at: 0, as: Int.self) ?? 0
            return pages * size
        }
    }

    /// Writes a consistent copy of the whole database to a new file at `destination` with the
    /// online backup API (https://www.sqlite.org/backup.html, c3ref/backup_finish.html). The
    /// copy is one `sqlite3_backup_step(-1)`: it reads one snapshot under one read transaction,
    /// so writers on other connections go on appending to the WAL meanwhile and never force a
    /// restart. The copy goes to `destination.partial` first and is renamed into place only
    /// when complete. Answers the number of pages copied.
    @discardableResult
    public func backup(to destination: String) throws -> Int {
        let partial = destination + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        var target: OpaquePointer?
        let openCode = sqlite3_open_v2(partial, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard openCode == SQLITE_OK, let target else {
            let error = DatabaseError.from(code: openCode, handle: target, sql: nil)
            sqlite3_close_v2(target)
            throw DatabaseError(extendedCode: error.extendedCode, message: "cannot create \(partial): \(error.message)")
        }
        var closed = false
        defer {
            if !closed { sqlite3_close_v2(target) }
            try? FileManager.default.removeItem(atPath: partial)
        }
        let pages: Int = try write { connection in
            guard let backup = sqlite3_backup_init(target, "main", connection.handle, "main") else {
                throw DatabaseError.from(code: sqlite3_errcode(target), handle: target, sql: "sqlite3_backup_init")
            }
            var code = SQLITE_OK
            var attempts = 0
            repeat {
                code = sqlite3_backup_step(backup, -1)
                if code == SQLITE_BUSY || code == SQLITE_LOCKED {
                    attempts += 1
                    usleep(50_000)
                }
            } while (code == SQLITE_BUSY || code == SQLITE_LOCKED) && attempts < 200
            let total = Int(sqlite3_backup_pagecount(backup))
            let finish = sqlite3_backup_finish(backup)
            guard code == SQLITE_DONE, finish == SQLITE_OK else {
                throw DatabaseError.from(
                    code: code == SQLITE_DONE ? finish : code, handle: target, sql: "sqlite3_backup_step")
            }
            return total
        }
        let closeCode = sqlite3_close(target)
        closed = closeCode == SQLITE_OK
        guard closed else {
            throw DatabaseError(extendedCode: closeCode, message: "cannot close \(partial) after the backup")
        }
        try Self.syncFile(partial)
        guard rename(partial, destination) == 0 else {
            throw DatabaseError(
                extendedCode: SQLITE_CANTOPEN,
                message: "cannot move \(partial) to \(destination): \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(of: destination)
        return pages
    }

    static func syncFile(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DatabaseError(extendedCode: SQLITE_IOERR, message: "cannot open \(path) to sync it")
        }
        defer { Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw DatabaseError(extendedCode: SQLITE_IOERR, message: "fsync of \(path) failed")
        }
    }

    /// A rename is durable once the directory holding it is synced (fsync(2)).
    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = Glibc.open(directory, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        Glibc.close(descriptor)
    }
}
