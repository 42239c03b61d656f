import Foundation
import NNService

/// The store `nnserve` runs on: PostgreSQL when `--database-url` is set (shared by any number of
/// processes, so no directory lock), otherwise the SQLite file under the data directory, held
/// through the directory's locks by the server and, shared, by its worker processes.
struct StoreSelection {
    let store: any ServiceStorage
    /// Where the data is, for the start-up log line (a URL without its password).
    let location: String
    private let lock: DataDirectoryLock?

    init(_ config: ServerConfig, lockHolder: DataDirectoryLock.Holder) throws {
        if let url = config.databaseURL {
            store = try PostgresServiceStore(url: url)
            location = url.description
            lock = nil
        } else {
            let lock = try DataDirectoryLock(directory: config.dataDirectory, holder: lockHolder)
            let path = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent("nnserve.sqlite").path
            do {
                store = try SQLiteServiceStore(path: path)
            } catch {
                lock.release()
                throw error
            }
            location = path
            self.lock = lock
        }
    }

    /// Closes the store; for SQLite, first folds the write-ahead log into the file.
    func close() {
        if let sqlite = store as? SQLiteServiceStore { _ = try? sqlite.database.checkpoint() }
        try? store.close()
        lock?.release()
    }
}
