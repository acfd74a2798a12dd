/// Where events are POSTed: `http://HOST[:PORT]/PATH`, HOST an IPv4 address or a bracketed IPv6
/// address.
///
/// No host names: resolving one needs DNS, and a router agent must not wait on a resolver (which
/// may be reachable only over the path that just failed) to report the failover. No https: the
/// agent carries no TLS stack; a local relay (vector, fluent-bit, a reverse proxy) takes the plain
/// HTTP POST and forwards it with TLS.
public struct CollectorURL: Sendable, Equatable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    /// Path and query, from the first "/" (at least "/").
    public var path: String

    public init(address: IPAddress, port: UInt16 = 80, path: String = "/") {
        self.address = address; self.port = port; self.path = path
    }

    public init(_ text: String) throws(CollectorURLError) {
        let b = Array(text.utf8)
        let lower = asciiLowercased(String(decoding: b.prefix(8), as: UTF8.self))
        if lower.hasPrefix("https://") {
            throw CollectorURLError("\(text): https is not supported: hedge has no TLS; send to a local relay over http (vector, fluent-bit, a reverse proxy on 127.0.0.1) and let it forward with TLS")
        }
        guard lower.hasPrefix("http://") else {
            throw CollectorURLError("\(text): the collector URL must start with http://")
        }
        for c in b where c <= 0x20 || c >= 0x7F {
            throw CollectorURLError("\(text): spaces, control and non-ASCII characters must be percent-encoded")
        }
        var rest = b[7...]
        let slash = rest.firstIndex(of: 0x2F) ?? rest.endIndex
        let authority = rest[rest.startIndex..<slash]
        rest = rest[slash...]
        if authority.contains(0x40) { throw CollectorURLError("\(text): user information (user@) is not supported") }
        if authority.isEmpty { throw CollectorURLError("\(text): no host") }

        var hostPart: ArraySlice<UInt8>
        var portPart: ArraySlice<UInt8>? = nil
        if authority.first == 0x5B {   // [v6]
            guard let close = authority.firstIndex(of: 0x5D) else { throw CollectorURLError("\(text): missing ']'") }
            hostPart = authority[(authority.startIndex + 1)..<close]
            let after = authority[(close + 1)...]
            if !after.isEmpty {
                guard after.first == 0x3A else { throw CollectorURLError("\(text): unexpected text after ']'") }
                portPart = after.dropFirst()
            }
            if hostPart.contains(0x25) { throw CollectorURLError("\(text): IPv6 zone identifiers are not supported") }
            guard let a = IPAddress(String(decoding: hostPart, as: UTF8.self)), a.isV6 else {
                throw CollectorURLError("\(text): '\(String(decoding: hostPart, as: UTF8.self))' is not an IPv6 address")
            }
            address = a
        } else {
            if authority.filter({ $0 == 0x3A }).count > 1 {
                throw CollectorURLError("\(text): an IPv6 address must be in brackets: http://[\(String(decoding: authority, as: UTF8.self))]/")
            }
            if let colon = authority.firstIndex(of: 0x3A) {
                hostPart = authority[authority.startIndex..<colon]
                portPart = authority[(colon + 1)...]
            } else {
                hostPart = authority
            }
            let host = String(decoding: hostPart, as: UTF8.self)
            guard let a = IPAddress(host), a.isV4 else {
                throw CollectorURLError("\(text): '\(host)' is not an IP address; hedge does not resolve names (no DNS at failover time): give an IPv4 address or a bracketed IPv6 address")
            }
            address = a
        }
        if let p = portPart {
            guard !p.isEmpty, p.count <= 5, p.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let v = Int(String(decoding: p, as: UTF8.self)), v >= 1, v <= 65535 else {
                throw CollectorURLError("\(text): bad port '\(String(decoding: p, as: UTF8.self))' (1-65535)")
            }
            port = UInt16(v)
        } else {
            port = 80
        }
        if let hash = rest.firstIndex(of: 0x23) { rest = rest[rest.startIndex..<hash] }   // a fragment is never sent
        path = rest.isEmpty ? "/" : String(decoding: rest, as: UTF8.self)
    }

    /// The Host header field (RFC 9110 §7.2): the authority as written, port when not 80.
    public var hostHeader: String {
        let h = address.isV4 ? "\(address)" : "[\(address)]"
        return port == 80 ? h : "\(h):\(port)"
    }

    public var description: String { "http://\(hostHeader)\(path)" }
}

public struct CollectorURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
