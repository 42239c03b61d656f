extension LossFunction {
    /// The batch loss and its gradient. For the logit losses `outputs` are logits.
    public func compute(outputs: Tensor, targets: TargetBatch) -> LossResult {
        switch (self, targets) {
        case (.crossEntropy, .classes(let classes)):
            return crossEntropy(logits: outputs, classes: classes)
        case (.binaryCrossEntropy, .values(let values)):
            return binaryCrossEntropy(logits: outputs, targets: values)
        case (.mse, .values(let values)):
            return meanSquaredError(outputs: outputs, targets: values)
        case (.mse, .classes), (.binaryCrossEntropy, .classes), (.crossEntropy, .values):
            preconditionFailure("loss \(rawValue) does not take these targets; the trainer checks this first")
        }
    }

    /// loss = mean_n (logsumexp(z_n) − z_n[t_n]); dz = (softmax(z) − onehot(t)) / N. With
    /// per-step outputs `[N, T, C]` and N·T classes the mean runs over every step, as PyTorch's
    /// CrossEntropyLoss does on `[N·T, C]`, and every step counts for accuracy.
    private func crossEntropy(logits: Tensor, classes: [Int32]) -> LossResult {
        let n = classes.count, width = logits.count / max(classes.count, 1)
        var gradient = logits
        var correct = 0
        let scale = 1 / Float(n)
        gradient.scalars.withUnsafeMutableBufferPointer { g in
            for row in 0..<n {
                let z = g.baseAddress! + row * width
                let target = Int(classes[row])
                var best = 0
                for j in 1..<max(width, 1) where z[j] > z[best] { best = j }
                if best == target { correct += 1 }
                Activation.softmaxRow(z, count: width)
                for j in 0..<width { z[j] *= scale }
                z[target] -= scale
            }
        }
        // log Σ e^(z − max) + max − z_t, from the logits, so no probability underflows.
        var total = 0.0
        logits.scalars.withUnsafeBufferPointer { z in
            for row in 0..<n {
                let base = row * width
                var maximum = -Float.infinity
                for j in 0..<width { maximum = max(maximum, z[base + j]) }
                var sum: Float = 0
                for j in 0..<width { sum += _expf(z[base + j] - maximum) }
                total += Double(_logf(sum) + maximum - z[base + Int(classes[row])])
            }
        }
        return LossResult(loss: total / Double(n), gradient: gradient, correct: correct, judged: n)
    }

    /// loss = mean(max(z, 0) − z·t + log(1 + e^−|z|)); dz = (σ(z) − t) / count.
    private func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> LossResult {
        let count = logits.count
        var gradient = logits
        var total = 0.0
        var correct = 0
        let scale = 1 / Float(count)
        for i in 0..<count {
            let z = logits.scalars[i], t = targets.scalars[i]
            total += Double(max(z, 0) - z * t + _log1pf(_expf(-abs(z))))
            let p = Activation.sigmoid(z)
            if (p > 0.5) == (t > 0.5) { correct += 1 }
            gradient.scalars[i] = (p - t) * scale
        }
        return LossResult(loss: total / Double(count), gradient: gradient, correct: correct, judged: count)
    }

    /// loss = mean((y − t)²); dy = 2(y − t) / count.
    private func meanSquaredError(outputs: Tensor, targets: Tensor) -> LossResult {
        let count = outputs.count
        var gradient = outputs
        var total = 0.0
        let scale = 2 / Float(count)
        for i in 0..<count {
            let difference = outputs.scalars[i] - targets.scalars[i]
            total += Double(difference * difference)
            gradient.scalars[i] = difference * scale
        }
        return LossResult(loss: total / Double(count), gradient: gradient, correct: 0, judged: 0)
    }
}
