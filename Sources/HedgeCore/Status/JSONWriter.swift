/// A tiny streaming JSON writer (no Codable in Embedded Swift): objects, arrays, escaped strings.
/// Its methods stay out of line: a status document is a few hundred calls, each a few instructions
/// where the inlined body took ~60 bytes.
public struct JSONWriter {
    public private(set) var text = ""
    private var needComma = [false]

    public init() {}

    private mutating func separator() {
        if needComma[needComma.count - 1] { text += "," }
        needComma[needComma.count - 1] = true
    }
    private mutating func key(_ k: String?) {
        separator()
        if let k { text += quote(k) + ":" }
    }

    @inline(never) public mutating func beginObject(_ k: String? = nil) { key(k); text += "{"; needComma.append(false) }
    @inline(never) public mutating func endObject() { needComma.removeLast(); text += "}" }
    @inline(never) public mutating func beginArray(_ k: String? = nil) { key(k); text += "["; needComma.append(false) }
    @inline(never) public mutating func endArray() { needComma.removeLast(); text += "]" }

    @inline(never) public mutating func string(_ k: String?, _ v: String?) {
        key(k); text += v.map(quote) ?? "null"
    }
    @inline(never) public mutating func int(_ k: String?, _ v: Int64?) { key(k); text += v.map { "\($0)" } ?? "null" }
    @inline(never) public mutating func int(_ k: String?, _ v: Int?) { int(k, v.map { Int64($0) }) }
    @inline(never) public mutating func bool(_ k: String?, _ v: Bool) { key(k); text += v ? "true" : "false" }
    /// A fixed-point number `v / 10^decimals` without Double formatting.
    @inline(never) public mutating func decimal(_ k: String?, _ v: Int64?, decimals: Int) {
        key(k)
        text += v.map { formatDecimal($0, decimals: decimals) } ?? "null"
    }
}

public func formatDecimal(_ v: Int64, decimals: Int) -> String {
    if decimals == 0 { return "\(v)" }
    var scale: Int64 = 1
    for _ in 0..<decimals { scale *= 10 }
    let neg = v < 0
    let a = neg ? -v : v
    var frac = "\(a % scale)"
    while frac.count < decimals { frac = "0" + frac }
    return (neg ? "-" : "") + "\(a / scale).\(frac)"
}

func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hexDigits: [Character] = ["0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f"]
                out += "\\u00"
                out.append(hexDigits[Int(u.value >> 4)]); out.append(hexDigits[Int(u.value & 15)])
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
