import NNCore

/// What the service needs from storage, in its own terms: data sets, models and their weights,
/// jobs and their state machine, per-epoch metrics, checkpoints, labels, and the claims and
/// leases through which worker processes take jobs. Routes, the job queue and training runs
/// use this protocol only; `SQLiteServiceStore` is the embedded implementation.
///
/// Every method that fails for a reason a client can act on throws `StorageError`; an
/// implementation translates its own driver's errors (a busy database, a lost connection)
/// into it, so that the API maps storage failures to HTTP in one place (`ServiceError`).
///
/// Every method is safe to call from any thread, and from several processes sharing one
/// store: each multi-row change is one transaction.
public protocol ServiceStorage: AnyObject, Sendable {
    // MARK: Data sets

    func insertDataset(_ upload: DatasetUpload) throws -> DatasetRecord
    func dataset(_ id: String) throws -> DatasetRecord?
    /// A page of data sets in creation order after the one with id `after`.
    func datasets(limit: Int, after: String?) throws -> [DatasetRecord]
    /// The samples of a data set, as the core's type.
    func loadDataset(_ id: String) throws -> Dataset?
    /// Whether every target value is 0 or 1 (nil for an unknown data set).
    func datasetTargetsAreBinary(_ id: String) throws -> Bool?
    /// One column of a data set's samples without the other (nil for an unknown id), for checks
    /// at job submission that read the values themselves (token ids, per-step classes).
    func datasetColumn(_ id: String, _ column: DatasetColumn) throws -> [Float]?
    /// `notFound` for an unknown id; `conflict` while a queued or running job uses it.
    func deleteDataset(_ id: String) throws

    // MARK: Models

    func createModel(_ spec: ModelSpec, labels: Labels) throws -> ModelRecord
    /// A model that already has weights (an uploaded self-describing file), in one transaction.
    func createModel(_ spec: ModelSpec, weights: [UInt8], loss: LossFunction?, labels: Labels) throws -> ModelRecord
    func model(_ id: String) throws -> ModelRecord?
    func models(query: ListQuery) throws -> (items: [ModelRecord], next: String?)
    /// The model's current weights (a safetensors file) and their version, or nil without weights.
    func modelWeights(_ id: String) throws -> (bytes: [UInt8], version: Int)?
    /// `notFound`; `conflict` while a job trains the model.
    func replaceWeights(_ id: String, bytes: [UInt8], loss: LossFunction?) throws
    /// Deletes a model with its jobs, metrics and checkpoints; `notFound`; `conflict` while trained.
    func deleteModel(_ id: String) throws
    /// A number that changes whenever any model's spec, weights or existence changes, in this
    /// process or any other sharing the store; caches of model records compare it.
    func modelsGeneration() throws -> Int

    // MARK: Labels

    /// Applies a merge patch to a job's or model's labels; false when there is no such row.
    func updateLabels(_ kind: LabelledKind, id: String, patch: LabelsPatch) throws -> Bool

    // MARK: Jobs

    /// Creates the job, and its model when the spec is inline (`newModel` and `modelID` are
    /// exclusive), in one durable transaction. `invalidReference` for an unknown `modelID`;
    /// `conflict` when that model already has a queued or running job.
    func insertJob(
        newModel: ModelSpec?, modelID: String?, datasetID: String, config: TrainingConfig, labels: Labels
    ) throws -> JobRecord
    func job(_ id: String) throws -> JobRecord?
    func jobs(status: JobStatus?, query: ListQuery) throws -> (items: [JobRecord], next: String?)
    func jobCounts() throws -> [JobStatus: Int]
    /// Applies a state-machine event; the record after it, or nil when the event does not apply
    /// in the job's state. With `owner`, it applies only while that worker holds the job's lease
    /// (the end of a run); without, it applies whoever runs the job (a cancel). A cancel is
    /// durable before it returns. Ending or requeueing a job clears its lease.
    func transition(
        _ id: String, _ event: JobStatus.Event, owner: String?, error: JobRecord.JobError?, stoppedEarly: Bool
    ) throws -> JobRecord?

    // MARK: Claims and leases

    /// Takes the oldest queued job for `owner` atomically (no two claimers get one job): it
    /// becomes running, its attempts grow by one, and `owner` holds its lease for
    /// `leaseSeconds`. Nil when nothing is queued.
    func claimNextJob(owner: String, leaseSeconds: Double) throws -> JobRecord?
    /// Extends `owner`'s lease on a running job; false when the job is no longer running or the
    /// lease is no longer `owner`'s (cancelled, lapsed and taken back): the worker must stop.
    func renewLease(job id: String, owner: String, leaseSeconds: Double) throws -> Bool
    /// Running jobs whose worker is gone go back to the queue, to resume from their last
    /// checkpoint, each such death counted in `crashes`; a job that reaches
    /// `JobRecord.maxCrashes` fails with code `crashed` instead. Answers the ids requeued and failed.
    func requeueAbandonedJobs(_ which: AbandonedJobs) throws -> (requeued: [String], crashed: [String])

    // MARK: Training progress

    /// Records a finished epoch, and a checkpoint when one is given, in one transaction, only
    /// while `owner` holds the job's lease (checked in that transaction); false otherwise, and
    /// nothing is written. See `SQLiteServiceStore.recordEpoch` for retention and weights.
    func recordEpoch(
        job: JobRecord, owner: String, metrics: EpochMetrics, checkpoint: [UInt8]?, loss: LossFunction,
        pinnedEpoch: Int?, weightsEpoch: Int?
    ) throws -> Bool
    /// The newest checkpoint this job wrote, with its job-relative epoch; metrics recorded after
    /// it are removed, since the resumed run records those epochs again.
    func resumePoint(for job: JobRecord) throws -> (epoch: Int, state: [UInt8])?
    /// The job's metrics with epochs after `epoch` (0: all), in epoch order.
    func metrics(job id: String, after epoch: Int) throws -> [EpochMetrics]

    // MARK: Checkpoints

    func checkpoints(model id: String) throws -> [CheckpointSummary]
    func checkpointState(model id: String, epoch: Int) throws -> [UInt8]?
    /// `notFound` for an unknown model or epoch; `conflict` for the checkpoint a queued or
    /// running job would resume from.
    func deleteCheckpoint(model id: String, epoch: Int) throws

    // MARK: Operations

    /// Throws `unavailable` when the store cannot answer (for `/readyz`).
    func checkReady() throws
    func storageFigures() throws -> StorageFigures
    func close() throws
}

extension JobRecord {
    /// How many times a job's worker may die while it runs before the job is failed with
    /// `crashed` instead of resumed, so that a job that kills its process cannot crash-loop
    /// the service.
    public static let maxCrashes = 3
}

/// Which running jobs `requeueAbandonedJobs` takes back.
public enum AbandonedJobs: Sendable, Equatable {
    /// Every running job: at the start of the one process that owns an embedded store.
    case all
    /// Running jobs whose lease has lapsed.
    case leaseLapsed
    /// Running jobs leased to this worker (known dead, e.g. a child process that exited).
    case ownedBy(String)
}

/// The two kinds of rows that carry labels.
public enum LabelledKind: String, Sendable {
    case jobs, models
}

/// One stored checkpoint as lists show it.
public struct CheckpointSummary: Encodable, Sendable, Equatable {
    public var epoch: Int
    public var created_at: String
    public var loss: Double?
    public var val_loss: Double?
    public var accuracy: Double?
    public var val_accuracy: Double?
    public var job_id: String?

    public init(
        epoch: Int, created_at: String, loss: Double?, val_loss: Double?, accuracy: Double?, val_accuracy: Double?,
        job_id: String?
    ) {
        self.epoch = epoch
        self.created_at = created_at
        self.loss = loss
        self.val_loss = val_loss
        self.accuracy = accuracy
        self.val_accuracy = val_accuracy
        self.job_id = job_id
    }
}

/// Figures for `/metrics`: the store's size in bytes, its log, free space, and checkpoints.
public struct StorageFigures: Sendable {
    public var databaseBytes: Int
    public var walBytes: Int
    public var freeBytes: Int
    public var checkpoints: Int

    public init(databaseBytes: Int, walBytes: Int, freeBytes: Int, checkpoints: Int) {
        self.databaseBytes = databaseBytes
        self.walBytes = walBytes
        self.freeBytes = freeBytes
        self.checkpoints = checkpoints
    }
}

/// Defaults for the calls most callers make the same way.
extension ServiceStorage {
    public func createModel(_ spec: ModelSpec) throws -> ModelRecord { try createModel(spec, labels: Labels()) }

    public func insertJob(
        newModel: ModelSpec?, modelID: String?, datasetID: String, config: TrainingConfig
    )
        throws -> JobRecord
    {
        try insertJob(newModel: newModel, modelID: modelID, datasetID: datasetID, config: config, labels: Labels())
    }

    public func metrics(job id: String) throws -> [EpochMetrics] { try metrics(job: id, after: 0) }

    /// An event that needs no lease, error or early stop: a cancel, or a test's `start`.
    @discardableResult
    public func transition(_ id: String, _ event: JobStatus.Event) throws -> JobRecord? {
        try transition(id, event, owner: nil, error: nil, stoppedEarly: false)
    }
}

/// The sample columns of a data set.
public enum DatasetColumn: String, Sendable {
    case inputs, targets
}
