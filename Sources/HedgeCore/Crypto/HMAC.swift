/// HMAC-SHA256 (RFC 2104, FIPS 198-1). The key is absorbed once: the inner and outer hash states
/// after the padded key are kept, so each MAC costs the message's blocks plus two.
public struct HMACSHA256: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    public init<C: Collection>(key: C) where C.Element == UInt8 {
        var k = key.count > SHA256.blockSize ? SHA256.hash(key) : Array(key)
        while k.count < SHA256.blockSize { k.append(0) }
        var i = SHA256(), o = SHA256()
        i.update(k.map { $0 ^ 0x36 })
        o.update(k.map { $0 ^ 0x5c })
        inner = i
        outer = o
    }

    /// The full 32-octet MAC of `message`.
    public func authenticate<C: Collection>(_ message: C) -> [UInt8] where C.Element == UInt8 {
        var i = inner
        i.update(message)
        var o = outer
        o.update(i.finalize())
        return o.finalize()
    }

    public static func mac<K: Collection, M: Collection>(key: K, message: M) -> [UInt8]
        where K.Element == UInt8, M.Element == UInt8 {
        HMACSHA256(key: key).authenticate(message)
    }
}

/// Equality whose time depends on the length only, not on where the first difference is: a MAC
/// compared with `==` tells an attacker, byte by byte, how much of a forgery was right.
public func constantTimeEqual<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    var j = b.startIndex
    for x in a {
        diff |= x ^ b[j]
        j = b.index(after: j)
    }
    return diff == 0
}
