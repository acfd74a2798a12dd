/// Scalar values of the configuration language: whole numbers (`4000`, `4_194_304`, and in hex
/// `0x1001`, `0x4865_0000`: SPIs and ids are usually written so), durations (`10ms`, `30s`, `10m`,
/// `1h`; whole numbers only), switches (`on`/`off`) and names.

enum Values {
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// 0–15 for a hex digit (either case), nil otherwise.
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// Decimal digits, or `0x`/`0X` and hex digits, optionally grouped with `_` between digits.
    /// nil if malformed or over UInt64.
    static func integer(_ s: String) -> UInt64? {
        integer(Array(s.utf8)[...])
    }

    static func integer(_ b: ArraySlice<UInt8>) -> UInt64? {
        var digits = b
        var radix: UInt64 = 10
        if isHexPrefixed(b) { digits = b.dropFirst(2); radix = 16 }
        func digit(_ c: UInt8) -> UInt8? { radix == 16 ? hexValue(c) : (isDigit(c) ? c - 48 : nil) }
        guard let first = digits.first, let last = digits.last, digit(first) != nil, digit(last) != nil else { return nil }
        var v: UInt64 = 0
        var prevUnderscore = false
        for c in digits {
            if c == 95 {                                   // '_'
                if prevUnderscore { return nil }
                prevUnderscore = true
                continue
            }
            prevUnderscore = false
            guard let d = digit(c) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: radix)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    static func isHexPrefixed(_ b: ArraySlice<UInt8>) -> Bool {
        b.count > 2 && b[b.startIndex] == 48 && (b[b.startIndex + 1] == 120 || b[b.startIndex + 1] == 88)   // 0x 0X
    }

    /// Only digits and `_` (hex digits after `0x`), but too large for UInt64.
    static func isOverlongInteger(_ s: String) -> Bool {
        let b = Array(s.utf8)[...]
        if isHexPrefixed(b) {
            let d = b.dropFirst(2)
            return d.allSatisfy { hexValue($0) != nil || $0 == 95 } && hexValue(d.first!) != nil && hexValue(d.last!) != nil
                && integer(b) == nil
        }
        return !b.isEmpty && b.allSatisfy { isDigit($0) || $0 == 95 } && integer(b) == nil
            && isDigit(b[b.startIndex])
    }

    enum Duration: Equatable {
        case ok(Millis)
        case missingUnit
        case fraction
        case unknownUnit(String)
        case tooLarge
        case invalid
    }

    /// `<digits><unit>`, unit one of ms, s, m, h.
    static func duration(_ s: String) -> Duration {
        let b = Array(s.utf8)
        var i = 0
        while i < b.count && (isDigit(b[i]) || b[i] == 95) { i += 1 }
        if i == 0 { return .invalid }
        if i < b.count && b[i] == 46 { return .fraction }      // '.'
        let unit = String(decoding: b[i...], as: UTF8.self)
        guard let n = integer(b[..<i]) else { return isDigit(b[i - 1]) ? .tooLarge : .invalid }
        let scale: UInt64
        switch unit {
        case "ms": scale = 1
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "": return .missingUnit
        default: return .unknownUnit(unit)
        }
        let (v, o) = n.multipliedReportingOverflow(by: scale)
        if o || v > UInt64(Int64.max) { return .tooLarge }
        return .ok(Millis(v))
    }

    /// The shortest exact spelling: 10ms, 30s, 10m, 1h, 1500ms.
    static func format(duration ms: Millis) -> String {
        if ms != 0 && ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms != 0 && ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms != 0 && ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    static func bool(_ s: String) -> Bool? {
        switch s {
        case "on": return true
        case "off": return false
        default: return nil
        }
    }

    /// Path and group names: a letter or `_`, then letters, digits, `_`, `-`, `.`.
    static func isName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let f = b.first, isLetter(f) || f == 95 else { return false }
        return b.allSatisfy { isLetter($0) || isDigit($0) || $0 == 95 || $0 == 45 || $0 == 46 }
    }

    static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }

    /// What the kernel accepts as an interface name (dev_valid_name): 1–15 bytes, not `.` or `..`,
    /// no `/`, `:` or white space.
    static func isInterfaceName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        if b.isEmpty || b.count > 15 || s == "." || s == ".." { return false }
        return b.allSatisfy { $0 > 32 && $0 != 47 && $0 != 58 && $0 != 127 }
    }
}
