import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One client connection, driven by Dispatch read, write and timer sources on its own serial
/// queue. Requests are decoded and answered one at a time, so pipelined responses leave in
/// request order (RFC 9112 §9.3.2); while a response is deferred or streaming, later
/// requests stay buffered.
///
/// `@unchecked Sendable`: every mutable property is touched only on `queue` (all source
/// handlers run there, and stream writers and responders hop onto it).
final class HTTPConnection: @unchecked Sendable {
    enum Lifecycle { case open, lingering, closed }

    /// A request whose head has arrived and whose body is being read.
    struct Incoming {
        var head: HTTPRequestHead
        var body: [UInt8] = []
        let started: UInt64
    }

    /// The request a deferred or streamed response belongs to.
    struct Exchange {
        var request: HTTPRequest
        let started: UInt64
        var keepAlive: Bool
    }

    enum Awaiting {
        case nothing
        case deferred(Exchange)
        case stream(Exchange, HTTPStreamWriter, chunked: Bool, status: Int, bytes: Int)
    }

    static let readSize = 16 * 1024
    /// Pipelined requests are not decoded while this much output waits for the client.
    static let outputHighWater = 1 << 20

    let fd: Int32
    let queue: DispatchQueue
    let server: HTTPServer
    let number: Int
    let remoteAddress: String?
    let limits: HTTPLimits

    var decoder: HTTPRequestDecoder
    var timeouts: HTTPConnectionTimeouts
    var lifecycle = Lifecycle.open
    var incoming: Incoming?
    var awaiting = Awaiting.nothing
    var closeAfterFlush = false
    var readEOF = false
    var shuttingDown = false
    var requestCount = 0
    var dateCache = HTTPDateCache()

    var readSource: DispatchSourceRead?
    var readSuspended = false
    var writeSource: DispatchSourceWrite?
    var writeSuspended = true
    var timer: DispatchSourceTimer?
    var timerArmedFor: UInt64?
    var pendingCancels = 0

    var output: [UInt8] = []
    var outputSent = 0
    /// Bytes ever queued and sent, to fire stream write completions in order.
    var queuedTotal = 0
    var sentTotal = 0
    var completions: [(end: Int, callback: @Sendable (Bool) -> Void)] = []
    private let scratch: UnsafeMutableRawBufferPointer

    init(fd: Int32, server: HTTPServer, number: Int, remoteAddress: String?, target: DispatchQueue) {
        self.fd = fd
        self.server = server
        self.number = number
        self.remoteAddress = remoteAddress
        self.limits = server.configuration.limits
        self.queue = DispatchQueue(label: "microhttp.connection", target: target)
        self.decoder = HTTPRequestDecoder(limits: limits)
        self.timeouts = HTTPConnectionTimeouts(limits: limits, now: Self.now())
        self.scratch = .allocate(byteCount: Self.readSize, alignment: 16)
    }

    deinit { scratch.deallocate() }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Creates the sources; everything after this runs on `queue`.
    func start() {
        queue.async { [self] in
            let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            read.setEventHandler { [weak self] in self?.readable() }
            read.setCancelHandler { [self] in sourceCancelled() }
            readSource = read
            let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
            write.setEventHandler { [weak self] in self?.writable() }
            write.setCancelHandler { [self] in sourceCancelled() }
            writeSource = write
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [weak self] in self?.timerFired() }
            self.timer = timer
            timer.resume()
            read.resume()
            armTimer()
        }
    }

    // MARK: Reading

    private func readable() {
        guard lifecycle != .closed else { return }
        let count = recv(fd, scratch.baseAddress, scratch.count, 0)
        if count > 0 {
            if lifecycle == .lingering { return }
            decoder.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            timeouts.received(now: Self.now())
        } else if count == 0 {
            readEOF = true
            suspendReading()
            if lifecycle == .lingering { close(); return }
            // The client left: a stream has nobody to send to (RFC 9112 §9.6).
            if case .stream = awaiting { close(); return }
        } else {
            if Socket.wouldBlock { return }
            close()
            return
        }
        processInput()
        flush()
    }

    func suspendReading() {
        if let readSource, !readSuspended {
            readSource.suspend()
            readSuspended = true
        }
    }

    func resumeReading() {
        if let readSource, readSuspended, !readEOF {
            readSource.resume()
            readSuspended = false
        }
    }

    /// Decodes and answers buffered requests until one must wait (deferred or streamed
    /// response, output backlog) or more bytes are needed.
    func processInput() {
        while lifecycle == .open && !closeAfterFlush {
            guard case .nothing = awaiting else { break }
            if output.count - outputSent > Self.outputHighWater { break }
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                respondToProtocolError(error as? HTTPError ?? .badRequest("undecodable request"))
                return
            }
            guard let event else { break }
            switch event {
            case .head(let head):
                let now = Self.now()
                incoming = Incoming(head: head, started: now)
                timeouts.headReceived(now: now, bodyFollows: head.hasBody)
                // RFC 9110 §10.1.1: tell a waiting client to send the body we will read.
                if head.expectsContinue && head.hasBody { enqueue(HTTPResponseEncoder.continueLine) }
            case .body(let bytes):
                incoming?.body.append(contentsOf: bytes)
            case .end:
                guard let request = incoming else { break }
                incoming = nil
                timeouts.requestReceived()
                handle(request)
            }
        }
        if readEOF && lifecycle == .open, case .nothing = awaiting, !closeAfterFlush {
            if decoder.isAtMessageBoundary && incoming == nil {
                closeAfterFlush = true
            } else {
                respondToProtocolError(.truncated)
            }
        }
        // Buffered input beyond one request's worth means a pipelining client that does not
        // read its answers; stop reading until it does.
        if decoder.bufferedByteCount > limits.maxRequestLineBytes + limits.maxHeaderSectionBytes {
            suspendReading()
        } else if lifecycle != .closed {
            resumeReading()
        }
        armTimer()
    }

    // MARK: Timeouts

    func armTimer() {
        guard let timer, lifecycle != .closed, let deadline = timeouts.nextDeadline else { return }
        if let armed = timerArmedFor, armed <= deadline { return }
        timerArmedFor = deadline
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(5))
    }

    private func timerFired() {
        timerArmedFor = nil
        guard lifecycle != .closed else { return }
        switch timeouts.check(now: Self.now()) {
        case .none:
            armTimer()
        case .closeIdle, .abort:
            close()
        case .requestTimedOut:
            respondToProtocolError(.requestTimeout)
            flush()
        }
    }

    // MARK: Closing

    /// Called by the server when it stops: idle connections close now, busy ones after their
    /// current response.
    func beginShutdown() {
        guard lifecycle == .open else { return }
        shuttingDown = true
        if case .nothing = awaiting, incoming == nil, decoder.isAtMessageBoundary, output.count == outputSent {
            close()
        }
    }

    /// After the final response: shut down our side and read (discarding) until the client
    /// closes or the linger timeout passes, so our last response is not destroyed by a reset
    /// caused by unread request bytes (RFC 9112 §9.6).
    func startLingering() {
        guard lifecycle == .open else { return }
        lifecycle = .lingering
        Glibc.shutdown(fd, Int32(SHUT_WR))
        if readEOF { close(); return }
        decoder = HTTPRequestDecoder(limits: limits)
        timeouts.startLingering(now: Self.now())
        resumeReading()
        armTimer()
    }

    func close() {
        guard lifecycle != .closed else { return }
        lifecycle = .closed
        incoming = nil
        let pending = completions
        completions = []
        for completion in pending { completion.callback(false) }
        if case .stream(_, let writer, _, _, _) = awaiting { writer.cancel() }
        awaiting = .nothing
        timer?.cancel()
        pendingCancels = 2
        if let writeSource {
            if writeSuspended { writeSource.resume() }
            writeSource.cancel()
        } else {
            pendingCancels -= 1
        }
        if let readSource {
            if readSuspended { readSource.resume() }
            readSource.cancel()
        } else {
            pendingCancels -= 1
        }
        if pendingCancels == 0 { releaseDescriptor() }
    }

    /// The descriptor is closed only after both sources are cancelled, so Dispatch never
    /// watches a number that the kernel has already reused for another socket.
    private func sourceCancelled() {
        pendingCancels -= 1
        if pendingCancels == 0 { releaseDescriptor() }
    }

    private func releaseDescriptor() {
        Glibc.close(fd)
        readSource = nil
        writeSource = nil
        timer = nil
        server.connectionClosed(self)
    }
}
