#if canImport(Glibc)
import Glibc
#endif

/// The output buffer: responses are appended whole (head and body together, so a small
/// response leaves in one send and one TCP segment) and flushed as far as the socket takes
/// them; the loop watches for writability only while the socket is full.
extension HTTPConnection {
    func enqueue(_ bytes: [UInt8]) {
        output.append(contentsOf: bytes)
        queuedTotal = sentTotal + output.count - outputSent
    }

    /// Sends as much as the socket accepts. When everything is out: fire completions, close or
    /// linger if the last response asked for it, and resume decoding held-back requests.
    func flush() {
        guard lifecycle == .open else { return }
        let before = outputSent
        while outputSent < output.count {
            let count = output.withUnsafeBytes { bytes in
                // MSG_NOSIGNAL: a client that left gives EPIPE, not a process-killing SIGPIPE.
                send(fd, bytes.baseAddress! + outputSent, bytes.count - outputSent, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                outputSent += count
                sentTotal += count
            } else if count < 0 && Socket.wouldBlock {
                break
            } else {
                close()
                return
            }
        }
        fireCompletions()
        let now = HTTPConnection.now()
        if outputSent == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
            outputSent = 0
            timeouts.writeProgressed(now: now, stillBlocked: false)
            setWriteInterest(false)
            if closeAfterFlush, case .nothing = awaiting {
                startLingering()
            }
        } else {
            // Drop sent bytes only once they are at least half the buffer: moving the unsent
            // rest after every partial send would copy a large response over and over on the
            // loop (quadratic in its size).
            if outputSent >= 64 * 1024 && outputSent * 2 >= output.count {
                output.removeSubrange(0..<outputSent)
                outputSent = 0
            }
            if outputSent != before || timeouts.writeDeadline == nil {
                timeouts.writeProgressed(now: now, stillBlocked: true)
            }
            setWriteInterest(true)
        }
        armTimer()
    }

    func writable() {
        guard lifecycle == .open else { return }
        flush()
        if lifecycle == .open && output.isEmpty {
            processInput()
            flush()
        }
    }

    private func fireCompletions() {
        guard !completions.isEmpty else { return }
        var fired = 0
        while fired < completions.count && completions[fired].end <= sentTotal { fired += 1 }
        guard fired > 0 else { return }
        let ready = completions[0..<fired]
        completions.removeFirst(fired)
        for completion in ready { completion.callback(true) }
    }

}
