/// IP addresses and prefixes as plain values (Embedded Swift: no Foundation, no inet_pton).
///
/// Text forms: IPv4 dotted quad (no leading zeros, which inet_aton would read as octal); IPv6 per
/// RFC 4291 §2.2 (1–4 hex digits per group, one `::`, an embedded dotted quad in the last 32 bits,
/// no zone index). Output: dotted quad; RFC 5952 canonical IPv6 (lower case, no leading zeros, the
/// longest run of two or more zero groups compressed, the first on a tie, `::ffff:a.b.c.d` for
/// IPv4-mapped addresses).

public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// Host byte order.
    case v4(UInt32)
    /// Host byte order: the high and the low 64 bits.
    case v6(UInt64, UInt64)

    public init?(_ text: String) { self.init(Substring(text)) }

    public init?(_ text: Substring) {
        let b = Array(text.utf8)
        if let v = IPAddress.parseV4(b[...]) { self = .v4(v); return }
        guard let v6 = IPAddress.parseV6(b) else { return nil }
        self = .v6(v6.0, v6.1)
    }

    /// From network-order bytes: 4 (IPv4) or 16 (IPv6); nil for any other count.
    /// Takes `[UInt8]`, `ArraySlice<UInt8>`, `UnsafeRawBufferPointer` and the like.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4:
            var v: UInt32 = 0
            for x in bytes { v = v << 8 | UInt32(x) }
            self = .v4(v)
        case 16:
            var hi: UInt64 = 0, lo: UInt64 = 0, n = 0
            for x in bytes {
                if n < 8 { hi = hi << 8 | UInt64(x) } else { lo = lo << 8 | UInt64(x) }
                n += 1
            }
            self = .v6(hi, lo)
        default:
            return nil
        }
    }

    public var isV4: Bool { if case .v4 = self { return true } else { return false } }
    public var isV6: Bool { !isV4 }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let v): return v >> 24 == 127
        case .v6(let hi, let lo): return hi == 0 && lo == 1
        }
    }

    /// 32 or 128.
    public var bitWidth: UInt8 { isV4 ? 32 : 128 }

    /// Network byte order, 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v):
            return [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16),
                    UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        case .v6(let hi, let lo):
            var out: [UInt8] = []
            out.reserveCapacity(16)
            for word in [hi, lo] {
                var shift: UInt64 = 56
                while true {
                    out.append(UInt8(truncatingIfNeeded: word >> shift))
                    if shift == 0 { break }
                    shift -= 8
                }
            }
            return out
        }
    }

    /// 0.0.0.0 or ::
    public var isUnspecified: Bool {
        switch self {
        case .v4(let v): return v == 0
        case .v6(let hi, let lo): return hi == 0 && lo == 0
        }
    }

    /// 224.0.0.0/4 or ff00::/8
    public var isMulticast: Bool {
        switch self {
        case .v4(let v): return v >> 28 == 0xE
        case .v6(let hi, _): return hi >> 56 == 0xFF
        }
    }

    /// `::ffff:a.b.c.d` → a.b.c.d
    public var mappedV4: IPAddress? {
        if case .v6(let hi, let lo) = self, hi == 0, lo >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: lo))
        }
        return nil
    }

    /// The address with all bits after the first `length` cleared (length is clamped to the width).
    public func masked(to length: UInt8) -> IPAddress {
        switch self {
        case .v4(let v):
            return .v4(v & IPAddress.mask32(length))
        case .v6(let hi, let lo):
            let l = Int(length)
            let hiMask: UInt64 = l >= 64 ? ~0 : (l == 0 ? 0 : ~0 << UInt64(64 - l))
            let loMask: UInt64 = l <= 64 ? 0 : (l >= 128 ? ~0 : ~0 << UInt64(128 - l))
            return .v6(hi & hiMask, lo & loMask)
        }
    }

    public var description: String {
        switch self {
        case .v4(let v):
            return IPAddress.dotted(v)
        case .v6(let hi, let lo):
            if let m = mappedV4, case .v4(let v) = m { return "::ffff:" + IPAddress.dotted(v) }
            var groups: [UInt16] = []
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: hi >> UInt64(48 - 16 * i))) }
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: lo >> UInt64(48 - 16 * i))) }
            // Longest run of zero groups, length >= 2, first on a tie (RFC 5952 §4.2).
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8 && groups[j] == 0 { j += 1 }
                    if j - i > bestLen { bestStart = i; bestLen = j - i }
                    i = j
                } else {
                    i += 1
                }
            }
            if bestLen < 2 { bestStart = -1 }
            var s = ""
            i = 0
            while i < 8 {
                if i == bestStart {
                    s += "::"
                    i += bestLen
                    continue
                }
                if !s.isEmpty && !s.hasSuffix(":") { s += ":" }
                s += IPAddress.hex(groups[i])
                i += 1
            }
            return s
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        case (.v6(let ah, let al), .v6(let bh, let bl)): return ah < bh || (ah == bh && al < bl)
        }
    }

    // MARK: - Internals

    static func mask32(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : (length >= 32 ? ~0 : ~0 << UInt32(32 - length))
    }

    static func dotted(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    static func hex(_ x: UInt16) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        var started = false
        var shift: UInt16 = 12
        while true {
            let d = Int((x >> shift) & 0xF)
            if d != 0 || started || shift == 0 { out.append(digits[d]); started = true }
            if shift == 0 { break }
            shift -= 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    static func hexValue(_ c: UInt8) -> UInt16? {
        switch c {
        case 48...57: return UInt16(c - 48)
        case 97...102: return UInt16(c - 87)
        case 65...70: return UInt16(c - 55)
        default: return nil
        }
    }

    /// Exactly four decimal octets 0–255, no leading zeros, nothing else.
    static func parseV4(_ b: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var i = b.startIndex
        while true {
            let start = i
            var v: UInt32 = 0
            while i < b.endIndex, isDigit(b[i]) {
                v = v * 10 + UInt32(b[i] - 48)
                i += 1
                if i - start > 3 { return nil }
            }
            let n = i - start
            if n == 0 || v > 255 || (n > 1 && b[start] == 48) { return nil }
            result = result << 8 | v
            octets += 1
            if octets == 4 { return i == b.endIndex ? result : nil }
            guard i < b.endIndex, b[i] == 46 else { return nil }   // '.'
            i += 1
        }
    }

    /// RFC 4291 §2.2 text forms.
    static func parseV6(_ b: [UInt8]) -> (UInt64, UInt64)? {
        let colon: UInt8 = 58
        let n = b.count
        if n < 2 { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        var compressed = false
        var i = 0
        if b[0] == colon {
            guard b[1] == colon else { return nil }
            compressed = true
            i = 2
        }
        while i < n {
            let start = i
            while i < n, hexValue(b[i]) != nil { i += 1 }
            if i < n && b[i] == 46 {                       // '.': embedded IPv4, must be last
                guard let v4 = parseV4(b[start..<n]) else { return nil }
                let hiWord = UInt16(truncatingIfNeeded: v4 >> 16), loWord = UInt16(truncatingIfNeeded: v4)
                if compressed { tail.append(hiWord); tail.append(loWord) } else { head.append(hiWord); head.append(loWord) }
                i = n
                break
            }
            let len = i - start
            if len == 0 || len > 4 { return nil }
            var g: UInt16 = 0
            for k in start..<i { g = g << 4 | hexValue(b[k])! }
            if compressed { tail.append(g) } else { head.append(g) }
            if i == n { break }
            guard b[i] == colon else { return nil }
            i += 1
            if i < n && b[i] == colon {
                if compressed { return nil }
                compressed = true
                i += 1
            } else if i == n {
                return nil                                  // trailing single ':'
            }
        }
        let count = head.count + tail.count
        if compressed ? count > 7 : count != 8 { return nil }
        var groups = head
        for _ in 0..<(8 - count) { groups.append(0) }
        groups += tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for k in 0..<4 { hi = hi << 16 | UInt64(groups[k]) }
        for k in 4..<8 { lo = lo << 16 | UInt64(groups[k]) }
        return (hi, lo)
    }
}

/// An address prefix (`10.0.0.0/16`, `2001:db8::/32`). Always stored masked: the address never has
/// bits set after `length`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let address: IPAddress
    public let length: UInt8

    /// nil if `length` exceeds the address width. Host bits are cleared.
    public init?(address: IPAddress, length: UInt8) {
        guard length <= address.bitWidth else { return nil }
        self.address = address.masked(to: length)
        self.length = length
    }

    /// `address/length`; host bits are accepted and cleared (see `parse` to learn whether there were any).
    public init?(_ text: Substring) {
        guard let p = IPPrefix.parse(text) else { return nil }
        self = p.prefix
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    /// Parses `address/length` and reports whether the address had bits set after the prefix
    /// length (`10.0.0.1/16`), which a config checker should warn about.
    public static func parse(_ text: Substring) -> (prefix: IPPrefix, hadHostBits: Bool)? {
        guard let slash = text.utf8.lastIndex(of: 47) else { return nil }   // '/'
        guard let addr = IPAddress(text[text.startIndex..<slash]) else { return nil }
        let digits = Array(text.utf8[text.utf8.index(after: slash)...])
        guard !digits.isEmpty, digits.count <= 3, !(digits.count > 1 && digits[0] == 48) else { return nil }
        var len = 0
        for d in digits {
            guard IPAddress.isDigit(d) else { return nil }
            len = len * 10 + Int(d - 48)
        }
        guard len <= Int(addr.bitWidth), let p = IPPrefix(address: addr, length: UInt8(len)) else { return nil }
        return (p, p.address != addr)
    }

    public static func parse(_ text: String) -> (prefix: IPPrefix, hadHostBits: Bool)? { parse(Substring(text)) }

    public var isV4: Bool { address.isV4 }

    /// A host route: /32 or /128.
    public var isHost: Bool { length == address.bitWidth }

    public func contains(_ a: IPAddress) -> Bool {
        a.isV4 == address.isV4 && a.masked(to: length) == address
    }

    /// True when `p` is this prefix or lies inside it.
    public func contains(_ p: IPPrefix) -> Bool {
        p.address.isV4 == address.isV4 && p.length >= length && contains(p.address)
    }

    public func overlaps(_ p: IPPrefix) -> Bool { contains(p) || p.contains(self) }

    public var description: String { "\(address)/\(length)" }

    /// By address, then by length (shorter first).
    public static func < (a: IPPrefix, b: IPPrefix) -> Bool {
        a.address < b.address || (a.address == b.address && a.length < b.length)
    }
}
