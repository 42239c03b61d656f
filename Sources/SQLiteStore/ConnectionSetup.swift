import CSQLite

/// Opening and configuring a connection. Each setting is applied and then read back, because
/// SQLite answers some pragmas it cannot honour by silently keeping the old value.
enum ConnectionSetup {
    static func open(path: String, options: Database.Options) throws -> OpaquePointer {
        // SQLITE_OPEN_NOMUTEX ("multi-thread" mode, https://www.sqlite.org/threadsafe.html):
        // SQLite takes no mutex per call on this connection. That is safe because a
        // connection is only ever used on its database's serial queue, and it saves a lock
        // and unlock on every bind, step and column read. It requires a library built
        // thread-safe (SQLITE_THREADSAFE 1 or 2), checked first, since with 0 even separate
        // connections on separate threads are unsafe.
        guard sqlite3_threadsafe() != 0 else {
            throw DatabaseError.misuse("the SQLite library was built without thread safety (SQLITE_THREADSAFE=0)")
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            // open_v2 usually allocates a handle even on failure; it holds the message and
            // must still be closed (https://www.sqlite.org/c3ref/open.html).
            let error = DatabaseError.from(code: code, handle: handle, sql: nil)
            sqlite3_close_v2(handle)
            throw DatabaseError(
                extendedCode: error.extendedCode,
                message: "cannot open \(path): \(error.message)")
        }
        do {
            try configure(handle, path: path, options: options)
        } catch {
            sqlite3_close_v2(handle)
            throw error
        }
        return handle
    }

    private static func configure(_ handle: OpaquePointer, path: String, options: Database.Options) throws {
        // Extended codes tell a UNIQUE violation from a NOT NULL one
        // (https://www.sqlite.org/c3ref/extended_result_codes.html).
        sqlite3_extended_result_codes(handle, 1)

        // Set before switching to WAL: the switch needs an exclusive lock, which another
        // connection may be holding for a moment (https://www.sqlite.org/c3ref/busy_timeout.html).
        sqlite3_busy_timeout(handle, max(0, options.busyTimeoutMilliseconds))

        // WAL lets readers run while one writer writes, and commits without rewriting pages
        // in place (https://www.sqlite.org/wal.html). The pragma answers the mode now in
        // force: "wal", or "memory" for an in-memory database, which cannot use WAL.
        let mode = try pragmaText(handle, "PRAGMA journal_mode=WAL")
        let expected = path == ":memory:" ? "memory" : "wal"
        guard mode.lowercased() == expected else {
            throw DatabaseError(
                extendedCode: SQLITE_ERROR,
                message: "journal_mode is \(mode) after asking for WAL (expected \(expected)); "
                    + "the file system may not support the shared memory WAL needs",
                sql: "PRAGMA journal_mode=WAL")
        }

        // In WAL mode, NORMAL syncs only at checkpoints: a commit may be lost on power
        // failure but the database cannot be corrupted
        // (https://www.sqlite.org/pragma.html#pragma_synchronous). 1 means NORMAL.
        _ = try pragmaText(handle, "PRAGMA synchronous=NORMAL")
        let synchronous = try pragmaText(handle, "PRAGMA synchronous")
        guard synchronous == "1" else {
            throw DatabaseError(
                extendedCode: SQLITE_ERROR,
                message: "synchronous is \(synchronous) after setting NORMAL (1)",
                sql: "PRAGMA synchronous")
        }

        // Foreign keys are off by default for compatibility and must be enabled per
        // connection (https://www.sqlite.org/foreignkeys.html, section 2).
        _ = try pragmaText(handle, "PRAGMA foreign_keys=ON")
        let foreignKeys = try pragmaText(handle, "PRAGMA foreign_keys")
        guard foreignKeys == "1" else {
            throw DatabaseError(
                extendedCode: SQLITE_ERROR,
                message: "foreign_keys is \(foreignKeys) after enabling it; "
                    + "the SQLite library may lack foreign key support",
                sql: "PRAGMA foreign_keys")
        }
    }

    /// Runs a pragma and answers the first column of its first row as text ("" if no row).
    private static func pragmaText(_ handle: OpaquePointer, _ sql: String) throws -> String {
        guard
            let statement = try sql.withCString({ text in
                try Statement(connectionHandle: handle, sql: sql, text: text, tail: nil)
            })
        else { return "" }
        guard try statement.step() else { return "" }
        switch try statement.value(at: 0) {
        case .integer(let int): return String(int)
        case .text(let text): return text
        default: return ""
        }
    }
}
