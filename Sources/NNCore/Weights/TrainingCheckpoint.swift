import Foundation

/// A checkpoint between epochs: the model's weights, the optimizer's slots and step count,
/// and the trainer's progress (finished epochs, early-stopping state), in one safetensors
/// file. Every random draw of an epoch is derived from (seed, epoch), so this is all that a
/// resumed run needs to continue bit for bit.
public enum TrainingCheckpoint {
    static let format = "nnserve-checkpoint-1"

    public static func encode(network: Network, trainer: Trainer) -> [UInt8] {
        let state = trainer.optimizer.state
        var file = network.exportWeights()
        for (index, slot) in state.slots.enumerated() { file.tensors.append(("optimizer.\(index)", slot)) }
        let progress =
            (try? JSONEncoder().encode(trainer.progress)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        file.metadata = [
            "format": format, "optimizer_steps": String(state.steps),
            "optimizer_slots": String(state.slots.count), "progress": progress,
        ]
        return file.encoded()
    }

    /// Restores weights, optimizer state and progress; throws without changing anything
    /// the weights check rejects.
    public static func restore(_ bytes: [UInt8], network: Network, trainer: Trainer) throws {
        let file = try SafetensorsFile(bytes: bytes)
        guard file.metadata["format"] == format, let steps = file.metadata["optimizer_steps"].flatMap(Int.init),
            let slotCount = file.metadata["optimizer_slots"].flatMap(Int.init),
            let progressText = file.metadata["progress"],
            let progress = try? JSONDecoder().decode(TrainerProgress.self, from: Data(progressText.utf8))
        else {
            throw SafetensorsError("not an nnserve training checkpoint (its metadata is missing or damaged)")
        }
        var slots: [Tensor] = []
        for index in 0..<slotCount {
            guard let slot = file.tensor(named: "optimizer.\(index)") else {
                throw SafetensorsError("the checkpoint lacks optimizer slot \(index)")
            }
            slots.append(slot)
        }
        try network.loadWeights(file)
        try trainer.restore(progress: progress, optimizerState: OptimizerState(steps: steps, slots: slots))
    }

    /// The weights alone of a checkpoint (its optimizer slots and progress left out), as a
    /// weights file: what the model's current weights are when they refer to a checkpoint.
    public static func weights(from bytes: [UInt8], metadata: [String: String] = [:]) throws -> SafetensorsFile {
        var file = try SafetensorsFile(bytes: bytes)
        file.tensors.removeAll { $0.name.hasPrefix("optimizer.") }
        file.metadata = metadata
        return file
    }
}
