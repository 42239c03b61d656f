/// What sweeps need from storage, kept beside `ServiceStorage` (whose public surface it does not
/// widen); every store implements it (`SQLiteServiceStore`, `PostgresServiceStore`). Every
/// method is safe from any thread and any process sharing the store.
///
/// Besides these calls, an implementation applies ASHA where it records a trial's epoch
/// (`ServiceStorage.recordEpoch`), in the same transaction: when the job is a trial of a
/// running sweep with `early_termination` and the epoch is a rung (`ASHARule.isRung`), it
/// records the arrival and, when `ASHARule.continues` says no, ends the job `cancelled` with
/// `stopped_by = 'asha'` and answers false (see `SQLiteServiceStore.applyRungCheck`; `PostgresServiceStore.applyRungCheck` locks the sweep's
/// row first, so that concurrent arrivals at a rung take turns).
protocol SweepStorage: AnyObject, Sendable {
    /// Stores a sweep with every trial's parameters in one durable transaction.
    func insertSweep(
        _ request: SweepRequest, metric: String, goal: SweepRequest.Goal, trials: [JSONValue]
    ) throws
        -> SweepRecord
    func sweep(_ id: String) throws -> SweepRecord?
    /// A page of sweeps in creation order after the one with id `after`.
    func sweeps(limit: Int, after: String?) throws -> [SweepRecord]
    func runningSweepIDs() throws -> [String]
    /// A sweep's trials in trial order, each with its job once launched.
    func sweepTrials(_ id: String) throws -> [SweepTrial]
    /// Creates a trial's job (and model) and links it to the trial in one transaction; nil when
    /// the sweep is not running or the trial was launched already (by any process).
    func launchTrial(sweep id: String, trial: Int, job: JobSubmission) throws -> String?
    /// Records why a trial could not be launched.
    func refuseTrial(sweep id: String, trial: Int, error: JobRecord.JobError) throws
    /// Ends a running sweep with `status`; false when it had ended already.
    @discardableResult
    func endSweep(_ id: String, status: SweepRecord.Status) throws -> Bool
}
