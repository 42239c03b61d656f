/// The parser behind `PostgresURL(parsing:)`: RFC 3986's generic syntax as libpq reads it
/// (scheme, userinfo, host, port, path, query), percent-decoding each component once.
struct PostgresURLParser {
    let text: String

    init(_ text: String) { self.text = text }

    func parse() throws -> PostgresURL {
        guard text.utf8.count <= PostgresURL.maximumLength else {
            throw invalid(
                "the database URL is \(text.utf8.count) bytes long; at most \(PostgresURL.maximumLength) are allowed")
        }
        guard let schemeEnd = text.range(of: "://") else {
            throw invalid("the database URL has no scheme; write it as postgres://user:password@host:5432/database")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the database URL's scheme is '\(scheme)'; it must be postgres:// or postgresql://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let fragment = rest.firstIndex(of: "#") {
            throw invalid("the database URL has a fragment ('\(rest[fragment...])'); remove it")
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[..<$0] } ?? rest
        let path = slash.map { rest[rest.index(after: $0)...] } ?? ""

        var url = PostgresURL(database: "")
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                url.user = try decode(userinfo[..<colon], "user name")
                url.password = try decode(userinfo[userinfo.index(after: colon)...], "password")
            } else {
                url.user = try decode(userinfo, "user name")
            }
            if url.user == "" { url.user = nil }
        }
        try parseHostPort(hostPort, into: &url)
        url.database = try decode(path, "database name")
        guard !url.database.isEmpty else {
            throw invalid(
                "the database URL names no database; add /name after the host, as in postgres://host:5432/nnserve")
        }
        try parseQuery(query, into: &url)
        return url
    }

    private func parseHostPort(_ hostPort: Substring, into url: inout PostgresURL) throws {
        if hostPort.contains(",") {
            throw invalid("the database URL lists several hosts ('\(hostPort)'); give exactly one")
        }
        var hostPart = hostPort
        var portPart: Substring?
        if hostPort.hasPrefix("[") {
            // An IPv6 literal (RFC 3986 section 3.2.2): the port follows the closing bracket.
            guard let close = hostPort.firstIndex(of: "]") else {
                throw invalid("the database URL's IPv6 host '\(hostPort)' has no closing ']'")
            }
            hostPart = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw invalid("unexpected '\(after)' after the IPv6 host; write [address]:port")
                }
                portPart = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostPart = hostPort[..<colon]
            portPart = hostPort[hostPort.index(after: colon)...]
        }
        let host = try decode(hostPart, "host")
        url.host = host.isEmpty ? nil : host
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let port = Int(portPart), (1...65535).contains(port)
            else {
                throw invalid("the database URL's port '\(portPart)' is not a number from 1 to 65535")
            }
            url.port = port
        }
    }

    private func parseQuery(_ query: Substring, into url: inout PostgresURL) throws {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw invalid("the database URL's query parameter '\(pair)' has no value; write name=value")
            }
            let name = try decode(pair[..<equals], "query parameter name")
            let value = try decode(pair[pair.index(after: equals)...], "value of \(name)")
            guard PostgresURL.allowedParameters.contains(name) else {
                throw invalid(
                    "the database URL's query parameter '\(name)' is not one PostgresStore passes on; use one of "
                        + PostgresURL.allowedParameters.sorted().joined(separator: ", "))
            }
            if name == "host" && url.host != nil {
                throw invalid("the database URL names a host twice (in the authority and in ?host=); give one")
            }
            url.parameters.append(.init(name: name, value: value))
        }
    }

    /// Percent-decodes one component (RFC 3986 section 2.1) into UTF-8 text. A `%` not followed
    /// by two hex digits, bytes that are not UTF-8, and NUL (which would cut the C string libpq
    /// receives) are errors naming the component and the offset.
    private func decode(_ component: Substring, _ what: String) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.utf8.count)
        let utf8 = Array(component.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < utf8.count,
                    let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
                else {
                    throw invalid(
                        "the database URL's \(what) has a '%' at offset \(index) that is not followed by two hex digits; write a literal % as %25"
                    )
                }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw invalid("the database URL's \(what) decodes to a NUL byte at offset \(nul), which libpq cannot take")
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw invalid("the database URL's \(what) does not decode to UTF-8 text")
        }
        return decoded
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private func invalid(_ message: String) -> PostgresError { PostgresError(.invalidURL, message) }
}
