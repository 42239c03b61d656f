import Foundation
import NNCore

/// Loaded networks for predictions, keyed by model, weights version and checkpoint epoch.
/// A network keeps per-call state in its layers, so each call borrows one exclusively; a
/// few are pooled per key so concurrent predictions do not rebuild them.
///
/// `@unchecked Sendable`: `pools`, `records` and `recordsGeneration` are guarded by `lock`.
final class ModelCache: @unchecked Sendable {
    private struct Key: Hashable {
        var model: String
        var version: Int
        var epoch: Int?
    }

    private let store: any ServiceStorage
    private let lock = NSLock()
    private var pools: [Key: [Network]] = [:]
    private var records: [String: ModelRecord] = [:]
    private var recordsGeneration = -1
    private static let maxPooled = 4

    init(store: any ServiceStorage) {
        self.store = store
    }

    /// The model's record, read from the store only when some model changed since the last
    /// read (predictions would otherwise decode the spec on every request).
    func record(_ id: String) throws -> ModelRecord {
        let generation = try store.modelsGeneration()
        lock.lock()
        if recordsGeneration != generation {
            records = [:]
            recordsGeneration = generation
        }
        if let record = records[id] {
            lock.unlock()
            return record
        }
        lock.unlock()
        guard let record = try store.model(id) else { throw StorageError.missing("model", id) }
        lock.lock()
        if recordsGeneration == generation { records[id] = record }
        lock.unlock()
        return record
    }

    /// Runs `body` with a network holding the model's latest weights, or a checkpoint's.
    func withNetwork<R>(_ model: ModelRecord, epoch: Int?, _ body: (Network) throws -> R) throws -> R {
        let key = Key(model: model.id, version: model.weightsVersion, epoch: epoch)
        let network = try borrow(key, model: model)
        defer { giveBack(network, key) }
        return try body(network)
    }

    private func borrow(_ key: Key, model: ModelRecord) throws -> Network {
        lock.lock()
        if let network = pools[key]?.popLast() {
            lock.unlock()
            return network
        }
        // Old versions of this model are stale now.
        pools = pools.filter { $0.key.model != key.model || $0.key.version == key.version }
        lock.unlock()
        let bytes: [UInt8]
        if let epoch = key.epoch {
            guard let state = try store.checkpointState(model: model.id, epoch: epoch) else {
                throw ServiceError(
                    404, "not_found",
                    "model \(model.id) has no checkpoint at epoch \(epoch); list them with GET /v1/models/\(model.id)/checkpoints"
                )
            }
            bytes = state
        } else {
            guard let weights = try store.modelWeights(model.id) else {
                throw ServiceError.conflict(
                    "model \(model.id) has no weights yet; train it with POST /v1/jobs or upload weights with PUT /v1/models/\(model.id)/weights"
                )
            }
            bytes = weights.bytes
        }
        let network = try Network(spec: model.spec, seed: 0)
        try network.loadWeights(try SafetensorsFile(bytes: bytes))
        return network
    }

    private func giveBack(_ network: Network, _ key: Key) {
        lock.lock()
        defer { lock.unlock() }
        if pools[key, default: []].count < Self.maxPooled { pools[key, default: []].append(network) }
    }
}
