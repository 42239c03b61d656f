/// Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", MLSys 2020), in its stopping form: a trial that reaches a rung is
/// ranked against the trials that reached that rung before it, and continues only if it is
/// within the top 1/η of them (itself included). A pure rule over a rung's records, so that
/// the store can apply it inside the transaction that records the epoch: the decision then
/// depends only on the seed (which fixes the trials) and the order of arrival at each rung.
struct ASHARule: Equatable, Sendable {
    var minEpochs: Int
    var reductionFactor: Int
    var maximize: Bool

    /// Whether `epoch` is a rung of a trial that runs `epochs` epochs: `minEpochs × η^k` for
    /// some k ≥ 0, before the last epoch (a trial at its last epoch ends anyway).
    func isRung(_ epoch: Int, epochs: Int) -> Bool {
        guard epoch < epochs else { return false }
        var rung = minEpochs
        while rung < epoch {
            let (next, overflow) = rung.multipliedReportingOverflow(by: reductionFactor)
            if overflow { return false }
            rung = next
        }
        return rung == epoch
    }

    /// Whether a trial with `metric` at a rung continues, given the metrics of the trials that
    /// reached the rung before it (in order of arrival). Its rank is one more than the number of
    /// earlier trials strictly better (ties favour continuing); it continues when the rank is at
    /// most ⌈n / η⌉ with n the trials at the rung including it. The first arrival always
    /// continues. A missing or NaN metric ranks below every number.
    func continues(metric: Double?, earlier: [Double?]) -> Bool {
        let n = earlier.count + 1
        let better = earlier.filter { isBetter($0, than: metric) }.count
        let allowed = (n + reductionFactor - 1) / reductionFactor
        return better + 1 <= allowed
    }

    private func isBetter(_ a: Double?, than b: Double?) -> Bool {
        guard let a, !a.isNaN else { return false }
        guard let b, !b.isNaN else { return true }
        return maximize ? a > b : a < b
    }
}
