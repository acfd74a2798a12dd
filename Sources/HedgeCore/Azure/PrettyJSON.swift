/// JSONWriter's compact text, indented by two spaces a level as ARM templates are usually written:
/// the operator reads and diffs what `hedge-azure template` writes before deploying it.
public func prettyJSON(_ compact: String) -> String {
    var out: [UInt8] = []
    var depth = 0
    var inString = false
    var escaped = false
    let bytes = Array(compact.utf8)
    func newline(_ out: inout [UInt8], _ depth: Int) {
        out.append(10)
        for _ in 0..<(depth * 2) { out.append(32) }
    }
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        i += 1
        if inString {
            out.append(b)
            if escaped { escaped = false } else if b == 92 { escaped = true } else if b == 34 { inString = false }
            continue
        }
        switch b {
        case 123, 91:   // { [: an empty one stays on its line
            out.append(b)
            let close: UInt8 = b == 123 ? 125 : 93
            if i < bytes.count && bytes[i] == close { out.append(close); i += 1 } else { depth += 1; newline(&out, depth) }
        case 125, 93:   // } ]
            depth -= 1; newline(&out, depth); out.append(b)
        case 44: out.append(b); newline(&out, depth)
        case 58: out.append(b); out.append(32)
        case 34: out.append(b); inString = true
        default: out.append(b)
        }
    }
    out.append(10)
    return String(decoding: out, as: UTF8.self)
}
