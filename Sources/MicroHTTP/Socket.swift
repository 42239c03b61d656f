import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call: which call and its errno.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Thin wrappers over the BSD socket calls the server needs.
enum Socket {
    /// Binds and listens on `host:port` (IPv4 or IPv6 literal, or a name resolved with
    /// getaddrinfo). Returns the descriptor and the bound port (useful with port 0).
    static func listen(host: String, port: Int, backlog: Int32) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw SocketError("getaddrinfo(\(host))", errno: status) }
        defer { freeaddrinfo(list) }
        let info = first.pointee
        let fd = socket(
            info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
            0)
        guard fd >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        // SO_REUSEADDR: a restarted server can bind while old connections sit in TIME_WAIT.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.ai_addr, info.ai_addrlen) == 0 else {
            let error = SocketError("bind(\(host):\(port))")
            close(fd)
            throw error
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("listen")
            close(fd)
            throw error
        }
        return (fd, try boundPort(fd))
    }

    static func boundPort(_ fd: Int32) throws -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SocketError("getsockname") }
        return address(of: storage)?.port ?? 0
    }

    /// Numeric host and port of an IPv4 or IPv6 address; nil for other families (AF_UNIX).
    static func address(of storage: sockaddr_storage) -> (host: String, port: Int)? {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer -> (String, Int)? in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var address = v4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return (String(nulTerminated: text), Int(UInt16(bigEndian: v4.pointee.sin_port)))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var address = v6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return ("[" + String(nulTerminated: text) + "]", Int(UInt16(bigEndian: v6.pointee.sin6_port)))
                }
            default:
                return nil
            }
        }
    }

    /// Makes an accepted (or adopted) socket ready for the connection: non-blocking, and
    /// TCP_NODELAY so a small response is not held back by Nagle's algorithm waiting for the
    /// client's delayed ACK (the 40 ms stall).
    static func prepareConnection(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        var one: Int32 = 1
        // Fails harmlessly (ENOTSUP/EOPNOTSUPP) on a Unix-domain socketpair.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
}
