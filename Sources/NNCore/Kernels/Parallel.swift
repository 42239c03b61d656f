import Dispatch

/// The one helper through which the core runs work on several threads.
///
/// Work is split into a fixed list of chunks chosen by the caller (never by the thread
/// count), and each output element is written by exactly one chunk, so results are
/// bit-identical whether they run on one thread or many.
public enum Parallel {
    /// Runs `body(chunk)` for every chunk in 0..<chunks, on up to `threads` threads.
    public static func forEach(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        guard chunks > 0 else { return }
        let workers = min(max(threads, 1), chunks)
        if workers == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                // Static round-robin: worker w takes chunks w, w + workers, ...
                var chunk = worker
                while chunk < chunks {
                    body(chunk)
                    chunk += workers
                }
            }
        }
    }

    /// The number of processors online, used when a caller asks for "all cores".
    public static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}

import Foundation
