/// The status line and header fields of an HTTP/1.x response (RFC 9112 §4, §5, §6.3), read from
/// the octets received so far. The event pusher needs only the status; Content-Length is reported
/// for completeness (a body is never needed: requests say `Connection: close`).
///
/// Lenient where RFC 9112 allows a recipient to be (a bare LF ends a line, §2.2); strict where
/// leniency hides a broken peer (obs-fold, a field line without a colon, conflicting
/// Content-Length values: §5.2, §6.3).
public enum HTTPResponseHead: Sendable, Equatable {
    /// More octets are needed.
    case incomplete
    /// `headerLength` octets (the empty line included) make the head; a body follows.
    case complete(status: Int, headerLength: Int, contentLength: Int?)
    case malformed(String)

    /// A head longer than this is refused: a collector's answer is a few hundred octets.
    public static let maxHeadLength = 16 * 1024

    public static func parse(_ bytes: [UInt8]) -> HTTPResponseHead { parse(bytes[...]) }

    public static func parse(_ bytes: ArraySlice<UInt8>) -> HTTPResponseHead {
        // Refuse early what cannot become a status line, so a wrong port fails fast.
        let proto: [UInt8] = Array("HTTP/1.".utf8)
        for (i, b) in bytes.prefix(proto.count).enumerated() where b != proto[i] {
            return .malformed("not an HTTP/1.x response")
        }
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var i = bytes.startIndex
        var headEnd: Int? = nil
        while i < bytes.endIndex {
            if bytes[i] == 0x0A {
                var end = i
                if end > start && bytes[end - 1] == 0x0D { end -= 1 }
                if end == start { headEnd = i + 1; break }
                lines.append(bytes[start..<end])
                start = i + 1
            }
            i += 1
        }
        guard let headEnd else {
            return bytes.count > maxHeadLength ? .malformed("response head longer than \(maxHeadLength) octets") : .incomplete
        }
        if headEnd - bytes.startIndex > maxHeadLength { return .malformed("response head longer than \(maxHeadLength) octets") }
        guard let statusLine = lines.first else { return .malformed("empty response") }
        guard let status = parseStatusLine(statusLine) else {
            return .malformed("bad status line \"\(printable(statusLine))\"")
        }
        var contentLength: Int? = nil
        for line in lines.dropFirst() {
            if line.first == 0x20 || line.first == 0x09 { return .malformed("obsolete line folding in the response head") }
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex else {
                return .malformed("header line without a name: \"\(printable(line))\"")
            }
            let name = line[line.startIndex..<colon]
            guard name.allSatisfy(isTokenChar) else { return .malformed("bad header name \"\(printable(name))\"") }
            if asciiLowercased(String(decoding: name, as: UTF8.self)) == "content-length" {
                var v = line[(colon + 1)...]
                while let f = v.first, f == 0x20 || f == 0x09 { v = v.dropFirst() }
                while let l = v.last, l == 0x20 || l == 0x09 { v = v.dropLast() }
                guard let n = decimal(v) else { return .malformed("bad Content-Length \"\(printable(v))\"") }
                if let c = contentLength, c != n { return .malformed("conflicting Content-Length values") }
                contentLength = n
            }
        }
        return .complete(status: status, headerLength: headEnd - bytes.startIndex, contentLength: contentLength)
    }

    /// HTTP-version SP 3DIGIT SP [reason-phrase]; some servers omit the last SP, which we allow.
    static func parseStatusLine(_ l: ArraySlice<UInt8>) -> Int? {
        let b = Array(l)
        guard b.count >= 12, b[0..<7].elementsEqual("HTTP/1.".utf8), b[7] >= 0x30, b[7] <= 0x39, b[8] == 0x20 else { return nil }
        var status = 0
        for k in 9..<12 {
            guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
            status = status * 10 + Int(b[k] - 0x30)
        }
        guard status >= 100, b.count == 12 || b[12] == 0x20 else { return nil }
        return status
    }

    static func decimal(_ v: ArraySlice<UInt8>) -> Int? {
        guard !v.isEmpty, v.count <= 15 else { return nil }
        var n = 0
        for c in v {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }

    /// tchar of RFC 9110 §5.6.2.
    static func isTokenChar(_ c: UInt8) -> Bool {
        if (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { return true }
        return Array("!#$%&'*+-.^_`|~".utf8).contains(c)
    }

    static func printable(_ b: ArraySlice<UInt8>) -> String {
        var s = ""
        for c in b.prefix(80) { s.unicodeScalars.append(c >= 0x20 && c < 0x7F ? Unicode.Scalar(c) : "?") }
        return s
    }
}
