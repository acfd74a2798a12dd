/// What the bytes received so far on a connection amount to.
public enum HTTPParseResult: Equatable, Sendable {
    /// No verdict yet: more bytes may complete the head (or break a limit).
    case incomplete
    /// A whole request head, `consumed` octets long (leading empty lines included); what follows
    /// belongs to the next request.
    case complete(HTTPRequest, consumed: Int)
    /// The status to answer with before closing: 400 malformed, 414 request line too long,
    /// 431 header section too large, 505 not HTTP/1.x.
    case failure(status: Int, reason: String)
}

/// Bounds on a request head; what crosses one is refused without waiting for the rest.
public struct HTTPRequestLimits: Equatable, Sendable {
    /// Octets of the request line, its line break not counted (RFC 9112 §3 recommends ≥ 8000 for
    /// general servers; hedge's paths are short). Empty lines before it count here too.
    public var requestLine: Int
    /// Octets from the end of the request line to the end of the empty line, line breaks included.
    public var headerSection: Int
    public var fields: Int

    public init(requestLine: Int = 2048, headerSection: Int = 8192, fields: Int = 64) {
        self.requestLine = requestLine; self.headerSection = headerSection; self.fields = fields
    }

    public static let standard = HTTPRequestLimits()

    /// The most octets a head can take before the parser gives a verdict.
    public var maxHead: Int { requestLine + 2 + headerSection }
}

/// A strict reader of HTTP/1.x request heads (RFC 9112 §2–§5), without state: it is given every
/// byte received since the previous request and looks at them afresh. Its verdict never depends
/// on how the bytes were cut: a prefix yields `.incomplete` or the same verdict as the whole.
///
/// Strict where leniency breeds ambiguity (request smuggling, RFC 9112 §11.2): single spaces in the
/// request line, no whitespace before a field's colon, no obsolete line folding, no bare CR, one
/// Host, no Content-Length together with Transfer-Encoding, and no body on GET or HEAD. Lenient
/// where RFC 9112 says a recipient may be: bare LF line ends (§2.2), empty lines before the
/// request line (§2.2), HTTP/1.x with x > 1 read as 1.1.
public enum HTTPRequestParser {
    public static func parse(_ bytes: [UInt8], limits: HTTPRequestLimits = .standard) -> HTTPParseResult {
        parse(bytes[...], limits: limits)
    }

    public static func parse(_ bytes: ArraySlice<UInt8>, limits: HTTPRequestLimits = .standard) -> HTTPParseResult {
        let base = bytes.startIndex, end = bytes.endIndex

        // Empty lines before the request line (a client's stray CRLF after an earlier message).
        var start = base
        while start < end {
            if bytes[start] == lf { start += 1; continue }
            if bytes[start] == cr && start + 1 < end && bytes[start + 1] == lf { start += 2; continue }
            break
        }

        // The request line ends at an LF found within the window; an LF further out is too late.
        let lineWindow = base + limits.requestLine + 2
        guard let lineEnd = firstLF(bytes, from: start, before: min(end, lineWindow)) else {
            if end >= lineWindow { return longRequestLine(bytes, start, limits) }
            // A method that cannot be one fails now: a TLS handshake or a binary protocol aimed at
            // this port need not wait out the idle timeout. Only the method: later parts of the line
            // would be judged differently (414) if the line turned out to be too long.
            var i = start
            while i < end && isTchar(bytes[i]) { i += 1 }
            if i == start && i + 1 == end && bytes[i] == cr { return .incomplete }   // an empty line's CR
            if i < end && (bytes[i] != sp || i == start) { return .failure(status: 400, reason: "malformed request line") }
            return .incomplete
        }
        var lineStop = lineEnd
        if lineStop > start && bytes[lineStop - 1] == cr { lineStop -= 1 }
        if lineStop - base > limits.requestLine { return longRequestLine(bytes, start, limits) }

        var request: HTTPRequest
        switch requestLine(bytes[start..<lineStop]) {
        case .success(let r): request = r
        case .failure(let f): return .failure(status: f.status, reason: f.reason)
        }

        // Field lines up to the empty line, all within the header window.
        let sectionStart = lineEnd + 1
        let sectionWindow = sectionStart + limits.headerSection
        var p = sectionStart
        while true {
            guard let e = firstLF(bytes, from: p, before: min(end, sectionWindow)) else {
                if end >= sectionWindow {
                    return .failure(status: 431, reason: "header section longer than \(limits.headerSection) octets")
                }
                return .incomplete
            }
            var stop = e
            if stop > p && bytes[stop - 1] == cr { stop -= 1 }
            if stop == p {
                p = e + 1
                break
            }
            if request.headers.count >= limits.fields {
                return .failure(status: 431, reason: "more than \(limits.fields) header fields")
            }
            switch fieldLine(bytes[p..<stop]) {
            case .success(let f): request.headers.append(f)
            case .failure(let f): return .failure(status: f.status, reason: f.reason)
            }
            p = e + 1
        }

        if let f = semantics(request) { return .failure(status: f.status, reason: f.reason) }
        return .complete(request, consumed: p - base)
    }

    // MARK: - Request line (RFC 9112 §3)

    struct Failure: Error { var status: Int; var reason: String }

    private static func malformed(_ what: String) -> Failure { Failure(status: 400, reason: what) }

    /// `method SP request-target SP HTTP-version`, single spaces.
    static func requestLine(_ line: ArraySlice<UInt8>) -> Result<HTTPRequest, Failure> {
        var i = line.startIndex
        let end = line.endIndex
        while i < end && isTchar(line[i]) { i += 1 }
        guard i > line.startIndex, i < end, line[i] == sp else { return .failure(malformed("malformed request line")) }
        let method = line[line.startIndex..<i]
        i += 1
        let targetStart = i
        while i < end && isTargetChar(line[i]) { i += 1 }
        guard i > targetStart, i < end, line[i] == sp else { return .failure(malformed("malformed request-target")) }
        let target = line[targetStart..<i]
        let version = line[(i + 1)...]

        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
        let v = Array(version)
        guard v.count == 8, v[0] == 0x48, v[1] == 0x54, v[2] == 0x54, v[3] == 0x50, v[4] == 0x2F,
              isDigit(v[5]), v[6] == 0x2E, isDigit(v[7]) else {
            return .failure(malformed("malformed HTTP version"))
        }
        guard v[5] == UInt8(ascii: "1") else { return .failure(Failure(status: 505, reason: "HTTP version not supported")) }

        guard let (path, query) = pathAndQuery(target) else { return .failure(malformed("malformed request-target")) }
        return .success(HTTPRequest(method: text(method), target: text(target), path: path, query: query,
                                    versionMinor: v[7] == UInt8(ascii: "0") ? 0 : 1, headers: []))
    }

    /// origin-form, asterisk-form, or an http(s) absolute-form (RFC 9112 §3.2); authority-form is
    /// CONNECT's, which hedge does not serve.
    static func pathAndQuery(_ t: ArraySlice<UInt8>) -> (String, String?)? {
        if t.count == 1 && t.first == UInt8(ascii: "*") { return ("*", nil) }
        var pathStart = t.startIndex
        if t.first != UInt8(ascii: "/") {
            // scheme "://" authority; the authority ends at the path or the query.
            guard let colon = t.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let scheme = lowercasedASCII(t[t.startIndex..<colon])
            guard scheme == Array("http".utf8) || scheme == Array("https".utf8) else { return nil }
            var i = colon + 1
            guard t.endIndex - i >= 2, t[i] == UInt8(ascii: "/"), t[i + 1] == UInt8(ascii: "/") else { return nil }
            i += 2
            let authority = i
            while i < t.endIndex && t[i] != UInt8(ascii: "/") && t[i] != UInt8(ascii: "?") {
                // userinfo is deprecated and a phishing device (RFC 9110 §4.2.4).
                if t[i] == UInt8(ascii: "@") { return nil }
                i += 1
            }
            guard i > authority else { return nil }
            pathStart = i
        }
        let rest = t[pathStart...]
        guard let q = rest.firstIndex(of: UInt8(ascii: "?")) else {
            return (rest.isEmpty ? "/" : text(rest), nil)
        }
        let path = q == pathStart ? "/" : text(t[pathStart..<q])
        return (path, text(t[(q + 1)...]))
    }

    /// The line is too long: 414 if it starts as a request line (`method SP`), else 400.
    private static func longRequestLine(_ b: ArraySlice<UInt8>, _ start: Int, _ limits: HTTPRequestLimits) -> HTTPParseResult {
        var i = start
        let stop = min(b.endIndex, b.startIndex + limits.requestLine)
        while i < stop && isTchar(b[i]) { i += 1 }
        if i > start && i < stop && b[i] == sp {
            return .failure(status: 414, reason: "request line longer than \(limits.requestLine) octets")
        }
        return .failure(status: 400, reason: "malformed request line")
    }

    // MARK: - Field lines (RFC 9112 §5, RFC 9110 §5.5)

    /// `field-name ":" OWS field-value OWS`.
    static func fieldLine(_ line: ArraySlice<UInt8>) -> Result<HTTPHeaderField, Failure> {
        let first = line[line.startIndex]
        // Leading whitespace: obs-fold, or whitespace between the request line and the first field.
        if first == sp || first == htab { return .failure(malformed("obsolete line folding")) }
        var i = line.startIndex
        while i < line.endIndex && isTchar(line[i]) { i += 1 }
        guard i < line.endIndex, line[i] == UInt8(ascii: ":"), i > line.startIndex else {
            return .failure(malformed("malformed header field name"))
        }
        let name = lowercasedASCII(line[line.startIndex..<i])
        var a = i + 1, b = line.endIndex
        while a < b && isOWS(line[a]) { a += 1 }
        while a < b && isOWS(line[b - 1]) { b -= 1 }
        for k in a..<b {
            let c = line[k]
            // field-vchar / SP / HTAB: no controls, no CR (a bare CR is invalid, §2.2), no DEL.
            if c < 0x20 && c != htab || c == 0x7F { return .failure(malformed("invalid octet in header field value")) }
        }
        return .success(HTTPHeaderField(name: String(decoding: name, as: UTF8.self), value: text(line[a..<b])))
    }

    /// Checks that need the whole head.
    static func semantics(_ r: HTTPRequest) -> Failure? {
        var hosts = 0, lengths = 0
        var chunked = false, length = false
        for f in r.headers {
            switch f.name {
            case "host": hosts += 1
            case "transfer-encoding": chunked = true
            case "content-length":
                lengths += 1
                guard !f.value.isEmpty, f.value.utf8.allSatisfy(isDigit) else { return malformed("malformed Content-Length") }
                if f.value.utf8.contains(where: { $0 != UInt8(ascii: "0") }) { length = true }
            default: break
            }
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
        if hosts > 1 || (hosts == 0 && r.versionMinor == 1) { return malformed("missing or repeated Host") }
        // RFC 9112 §6.3: both framings at once is a smuggling attempt; a list of lengths is refused too.
        if chunked && lengths > 0 || lengths > 1 { return malformed("conflicting message framing") }
        if (chunked || length) && (r.method == "GET" || r.method == "HEAD") { return malformed("a request body is not accepted") }
        return nil
    }

    // MARK: - Octets

    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, htab: UInt8 = 9

    static func firstLF(_ b: ArraySlice<UInt8>, from: Int, before: Int) -> Int? {
        var i = from
        while i < before {
            if b[i] == lf { return i }
            i += 1
        }
        return nil
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isOWS(_ c: UInt8) -> Bool { c == sp || c == htab }

    /// tchar (RFC 9110 §5.6.2): field names and methods.
    static func isTchar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    /// Visible ASCII but '#': a fragment is never sent (RFC 9112 §3.2), other octets must be
    /// percent-encoded.
    static func isTargetChar(_ c: UInt8) -> Bool { c > 0x20 && c < 0x7F && c != UInt8(ascii: "#") }

    static func lowercasedASCII(_ s: ArraySlice<UInt8>) -> [UInt8] {
        s.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    }

    static func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
}
