/// Query parameters (application/x-www-form-urlencoded, as URLs carry them) and
/// percent-decoding (RFC 3986 §2.1).
extension HTTPRequest {
    /// Every name/value pair of the query in order, decoded; "+" means space.
    public var queryItems: [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (
                    percentDecoded(pair[..<equals], plusAsSpace: true),
                    percentDecoded(pair[pair.index(after: equals)...], plusAsSpace: true)
                )
            }
            return (percentDecoded(pair, plusAsSpace: true), "")
        }
    }

    /// The first value of the query parameter `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Every value of the query parameter `name` (`?tag=a&tag=b`).
    public func queryValues(_ name: String) -> [String] {
        queryItems.filter { $0.name == name }.map(\.value)
    }
}

/// Decodes %XX escapes; a malformed escape is kept as it is, and bytes that are not valid
/// UTF-8 become U+FFFD, so decoding never fails on client input.
public func percentDecoded<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String {
    guard text.utf8.contains(0x25) || (plusAsSpace && text.utf8.contains(0x2B)) else { return String(text) }
    let utf8 = Array(text.utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(utf8.count)
    var i = 0
    while i < utf8.count {
        let byte = utf8[i]
        if byte == 0x25, i + 2 < utf8.count,
            let high = HTTPSyntax.hexValue(utf8[i + 1]), let low = HTTPSyntax.hexValue(utf8[i + 2])
        {
            bytes.append(UInt8(high << 4 | low))
            i += 3
        } else {
            bytes.append(plusAsSpace && byte == 0x2B ? 0x20 : byte)
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
