import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One client connection, served by one event loop thread: reading, decoding, handlers
/// that answer at once, and writing all happen there. Requests are decoded and answered one
/// at a time, so pipelined responses leave in request order (RFC 9112 §9.3.2); while a
/// response is deferred or streaming, later requests stay buffered.
///
/// `@unchecked Sendable`: every mutable property is touched only on `loop`'s thread (stream
/// writers and responders hop onto it with `loop.execute`).
final class HTTPConnection: @unchecked Sendable, EventLoopHandler {
    enum Lifecycle { case open, lingering, closed }

    /// A request whose head has arrived and whose body is being read.
    struct Incoming {
        let head: HTTPRequestHead
        /// Admitted by the router's head stage (decoded path, route, head hooks); the body is
        /// appended as it arrives, unless the route streams it into a consumer (`feed`).
        var request: HTTPRequest
        let started: UInt64
        /// The head stage's answer for a request without a body, sent once its end is read.
        var rejection: HTTPResponse?
        /// Where the body goes as it arrives when the route streams it (`HTTPBodyConsumer`).
        var feed: HTTPBodyFeed?
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
    let loop: HTTPEventLoop
    let server: HTTPServer
    let number: Int
    let remoteAddress: String?
    /// The client's address without the port, for the per-client connection count.
    let client: String?
    let limits: HTTPLimits
    // Copied from the configuration once, so the request path does not reach through it.
    let router: HTTPRouter
    let compression: HTTPCompression
    let requestIDHeader: String?
    let requestIDPrefix: String
    let handlerQueue: DispatchQueue?
    let workPool: HTTPWorkPool

    var decoder: HTTPRequestDecoder
    var timeouts: HTTPConnectionTimeouts
    var lifecycle = Lifecycle.open
    var incoming: Incoming?
    var awaiting = Awaiting.nothing
    /// A `text/event-stream` response is streaming (keep-alive comments, ended at shutdown).
    var eventStreamOpen = false
    var closeAfterFlush = false
    var readEOF = false
    /// Reading stopped because a body consumer is behind (`HTTPBodyFeed.highWater`).
    var bodyPaused = false
    var shuttingDown = false
    var requestCount = 0
    var dateCache = HTTPDateCache()

    var registered = false
    var wantsRead = true
    var wantsWrite = false
    var timerArmedFor: UInt64?

    var output: [UInt8] = []
    var outputSent = 0
    /// Bytes ever queued and sent, to fire stream write completions in order.
    var queuedTotal = 0
    var sentTotal = 0
    var completions: [(end: Int, callback: @Sendable (Bool) -> Void)] = []
    private let scratch: UnsafeMutableRawBufferPointer

    init(fd: Int32, server: HTTPServer, number: Int, remoteAddress: String?, client: String?, loop: HTTPEventLoop) {
        self.fd = fd
        self.server = server
        self.number = number
        self.remoteAddress = remoteAddress
        self.client = client
        self.limits = server.configuration.limits
        self.router = server.configuration.router
        self.compression = server.configuration.compression
        self.requestIDHeader = server.configuration.requestIDHeader
        self.requestIDPrefix = "\(server.idPrefix)-\(number)-"
        self.handlerQueue = server.configuration.handlerQueue
        self.workPool = server.configuration.workPool
        self.loop = loop
        self.decoder = HTTPRequestDecoder(limits: limits)
        self.timeouts = HTTPConnectionTimeouts(limits: limits, now: Self.now())
        self.scratch = .allocate(byteCount: Self.readSize, alignment: 16)
    }

    deinit { scratch.deallocate() }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Registers with the loop; everything after this runs on the loop thread.
    func start() {
        loop.execute { [self] in
            guard lifecycle == .open else { return }
            loop.register(fd, handler: self, read: true, write: false)
            registered = true
            armTimer()
        }
    }

    func loopReadable() {
        // Called with reading already off only when poll reports POLLHUP or POLLERR, which it
        // does regardless of interest: both directions are gone.
        if readEOF { close(); return }
        readable()
    }
    func loopWritable() { writable() }

    func loopTimer(_ deadline: UInt64) {
        guard deadline == timerArmedFor else { return }
        timerFired()
    }

    private func updateInterest() {
        if registered { loop.setInterest(fd, read: wantsRead, write: wantsWrite) }
    }

    // MARK: Reading

    private func readable() {
        guard lifecycle != .closed else { return }
        let count = recv(fd, scratch.baseAddress, scratch.count, 0)
        if count > 0 {
            if lifecycle == .lingering { return }
            decoder.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            timeouts.received(now: Self.now(), count: count)
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
        if wantsRead {
            wantsRead = false
            updateInterest()
        }
    }

    func resumeReading() {
        if !wantsRead && !readEOF {
            wantsRead = true
            updateInterest()
        }
    }

    func setWriteInterest(_ wanted: Bool) {
        if wantsWrite != wanted {
            wantsWrite = wanted
            updateInterest()
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
                receivedHead(head)
            case .body(let bytes):
                if let feed = incoming?.feed {
                    if feed.append(bytes) && !bodyPaused {
                        bodyPaused = true
                        timeouts.bodyPaused(now: Self.now())
                    }
                } else {
                    incoming?.request.body.append(contentsOf: bytes)
                }
            case .end:
                guard let request = incoming else { break }
                incoming = nil
                timeouts.requestReceived()
                if request.feed != nil {
                    finishStreamedBody(request)
                } else {
                    handle(request)
                }
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
        if decoder.bufferedByteCount > limits.maxRequestLineBytes + limits.maxHeaderSectionBytes || bodyPaused {
            suspendReading()
        } else if lifecycle != .closed {
            resumeReading()
        }
        armTimer()
    }
}
