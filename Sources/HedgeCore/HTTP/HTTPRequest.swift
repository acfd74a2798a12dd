/// One field line of a header section. In a request the name is lower-cased (field names are
/// case-insensitive, RFC 9110 §5.1) and the value has lost the optional whitespace around it
/// (RFC 9112 §5.1); in a response it goes out as written.
public struct HTTPHeaderField: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// A request head as `HTTPRequestParser` read it (RFC 9112 §3). hedge serves GET and HEAD only,
/// so there is never a body to go with it.
public struct HTTPRequest: Equatable, Sendable {
    /// Case-sensitive (RFC 9110 §9.1): "get" is not GET.
    public var method: String
    /// The request-target as sent: origin-form `/metrics?x`, absolute-form `http://h/metrics`, or `*`.
    public var target: String
    /// The target's path, still percent-encoded: `/metrics` for both forms above; `*` for `*`.
    public var path: String
    /// What follows the first `?` of the target; nil when there is no `?`.
    public var query: String?
    /// 0 or 1: HTTP/1.0, or HTTP/1.1 (a later 1.x is read as 1.1, RFC 9110 §6.2).
    public var versionMinor: Int
    public var headers: [HTTPHeaderField]

    public init(method: String, target: String, path: String, query: String?, versionMinor: Int, headers: [HTTPHeaderField]) {
        self.method = method; self.target = target; self.path = path; self.query = query
        self.versionMinor = versionMinor; self.headers = headers
    }

    /// The field's value; several lines of the same name joined by ", " (RFC 9110 §5.3).
    /// `name` is matched without regard to case.
    public func header(_ name: String) -> String? {
        let wanted = HTTPRequest.lowercased(name)
        var result: String?
        for f in headers where f.name == wanted {
            result = result.map { $0 + ", " + f.value } ?? f.value
        }
        return result
    }

    /// Whether the connection stays open after the response (RFC 9112 §9.3): HTTP/1.1 unless a
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        var close = false, keep = false
        for f in headers where f.name == "connection" {
            for option in HTTPRequest.listElements(f.value) {
                if option == "close" { close = true }
                if option == "keep-alive" { keep = true }
            }
        }
        if close { return false }
        return versionMinor >= 1 || keep
    }

    /// A Transfer-Encoding, or a Content-Length other than 0: the client means to send a body.
    public var hasBody: Bool {
        for f in headers {
            if f.name == "transfer-encoding" { return true }
            if f.name == "content-length" && f.value.utf8.contains(where: { $0 != UInt8(ascii: "0") }) { return true }
        }
        return false
    }

    // MARK: - Text helpers (ASCII only: field names and connection options are tokens)

    static func lowercased(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
        return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The elements of a comma-separated list (RFC 9110 §5.6.1), lower-cased, empty ones dropped.
    static func listElements(_ value: String) -> [String] {
        var out: [String] = []
        for part in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            var a = part.startIndex, b = part.endIndex
            while a < b && HTTPRequestParser.isOWS(part[a]) { a = part.index(after: a) }
            while a < b && HTTPRequestParser.isOWS(part[part.index(before: b)]) { b = part.index(before: b) }
            if a < b { out.append(lowercased(String(decoding: part[a..<b], as: UTF8.self))) }
        }
        return out
    }
}
