import Foundation
import MicroHTTP
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A parsed response as a test client sees it.
struct ClientResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking client end of a socket with a read deadline, and a small response parser.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Connects over loopback TCP.
    convenience init?(port: Int, host: String = "127.0.0.1") {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var result: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard result == 0 else { Glibc.close(fd); return nil }
        self.init(fd: fd)
    }

    private var open = true

    deinit { close() }

    func close() {
        if open { Glibc.close(fd) }
        open = false
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; false on EOF, error or when `timeout` passes.
    @discardableResult
    func fill(timeout: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// What has been received and not yet parsed, as text.
    var bufferedText: String { String(decoding: buffer, as: UTF8.self) }

    /// True when the server closed the connection (EOF) within `timeout` with no more data.
    func isClosed(timeout: Double = 2) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return true }
            buffer += chunk[0..<n]
        }
        return false
    }

    /// Reads one response (Content-Length, chunked, or to EOF when neither), nil on timeout.
    func readResponse(timeout: Double = 5, head isHeadRequest: Bool = false) -> ClientResponse? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        func more() -> Bool { fill(timeout: max(0.01, deadline.timeIntervalSinceNow)) }
        var headEnd: Int?
        while headEnd == nil {
            headEnd = findHeadEnd()
            if headEnd == nil && !more() { return nil }
        }
        guard let end = headEnd else { return nil }
        let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(end + 4)
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        let headers: [(String, String)] = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = ClientResponse(status: status, headers: headers, body: [])
        if status < 200 || status == 204 || status == 304 || isHeadRequest { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length { if !more() { return nil } }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("Transfer-Encoding") == "chunked" {
            while true {
                var lineEnd = findCRLF(from: 0)
                while lineEnd == nil { if !more() { return nil }; lineEnd = findCRLF(from: 0) }
                guard let le = lineEnd, let size = Int(String(decoding: buffer[0..<le], as: UTF8.self), radix: 16)
                else { return nil }
                while buffer.count < le + 2 + size + 2 { if !more() { return nil } }
                response.body += buffer[(le + 2)..<(le + 2 + size)]
                buffer.removeFirst(le + 2 + size + 2)
                if size == 0 { break }
            }
        } else {
            while more() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
        return nil
    }

    private func findCRLF(from start: Int) -> Int? {
        guard buffer.count >= start + 2 else { return nil }
        for i in start...(buffer.count - 2) where buffer[i] == 13 && buffer[i + 1] == 10 { return i }
        return nil
    }
}

/// A server with a quiet log, and helpers to attach clients to it.
struct TestServer {
    let server: HTTPServer
    let records: RecordBox

    init(
        router: HTTPRouter, limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 1024, listen: Bool = false,
        host: String = "127.0.0.1", handlerQueue: DispatchQueue? = nil, maxConnectionsPerClient: Int = 64
    ) throws {
        let records = RecordBox()
        self.records = records
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: host, port: 0, router: router, limits: limits, maxConnections: maxConnections,
                accessLog: nil, observers: [{ records.append($0) }], errorLog: nil, handlerQueue: handlerQueue,
                maxConnectionsPerClient: maxConnectionsPerClient))
        if listen { try server.start() }
    }

    /// A client connected to the server through a socketpair.
    func pairedClient() -> TestClient {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        server.adopt(fileDescriptor: fds[0])
        return TestClient(fd: fds[1])
    }
}

/// Access records collected from any thread. `lock` guards `items`.
final class RecordBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [HTTPAccessRecord] = []
    func append(_ record: HTTPAccessRecord) { lock.lock(); items.append(record); lock.unlock() }
    var all: [HTTPAccessRecord] { lock.lock(); defer { lock.unlock() }; return items }
}

/// A counter shared with Sendable closures; `lock` guards `count`.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// Raises the soft descriptor limit as far as the hard limit allows; returns the new limit.
@discardableResult
func raiseDescriptorLimit(to wanted: UInt64) -> UInt64 {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < wanted {
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return UInt64(limit.rlim_cur)
}
