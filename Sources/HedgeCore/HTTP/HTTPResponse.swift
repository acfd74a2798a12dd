/// A response hedge's HTTP server sends: status, one representation, a few fields.
public struct HTTPResponse: Equatable, Sendable {
    public var status: Int
    /// Empty: no Content-Type field.
    public var contentType: String
    public var body: [UInt8]
    /// Written after the standard fields, in order; a field whose name is not a token or whose
    /// value holds a control octet (CR, LF: a header injection) is left out.
    public var extraHeaders: [HTTPHeaderField]

    public init(status: Int, contentType: String, body: [UInt8], extraHeaders: [HTTPHeaderField] = []) {
        self.status = status; self.contentType = contentType; self.body = body; self.extraHeaders = extraHeaders
    }

    /// A plain-text (UTF-8) response.
    public static func text(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(body.utf8))
    }

    /// The response's bytes: the status line, Content-Type, Content-Length, `Cache-Control:
    /// no-store` (a health report is stale at once), the extra fields, `Connection: close` when the
    /// connection ends after it, and the body unless `head` (HEAD: the same fields, Content-Length
    /// included, no content; RFC 9110 §9.3.2). 1xx, 204 and 304 carry neither content nor
    /// Content-Length (RFC 9112 §6.3, RFC 9110 §8.6).
    public func serialize(head: Bool, keepAlive: Bool) -> [UInt8] {
        let code = status >= 100 && status <= 599 ? status : 500
        let noContent = code < 200 || code == 204 || code == 304
        var out: [UInt8] = []
        out.reserveCapacity(160 + (head || noContent ? 0 : body.count))
        func line(_ s: String) { out.append(contentsOf: s.utf8); out.append(13); out.append(10) }
        let reason = HTTPResponse.reasonPhrase(code)
        line("HTTP/1.1 \(code)" + (reason.isEmpty ? " " : " " + reason))
        if !contentType.isEmpty && HTTPResponse.isFieldValue(contentType) { line("Content-Type: " + contentType) }
        if !noContent { line("Content-Length: \(body.count)") }
        line("Cache-Control: no-store")
        for f in extraHeaders where HTTPResponse.isFieldName(f.name) && HTTPResponse.isFieldValue(f.value) {
            line(f.name + ": " + f.value)
        }
        if !keepAlive { line("Connection: close") }
        out.append(13); out.append(10)
        if !head && !noContent { out.append(contentsOf: body) }
        return out
    }

    /// RFC 9110 §15's reason phrases for the codes a server like this one sends; "" for others
    /// (the phrase is optional, RFC 9112 §4).
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return ""
        }
    }

    static func isFieldName(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy(HTTPRequestParser.isTchar) }

    static func isFieldValue(_ s: String) -> Bool {
        !s.utf8.contains { ($0 < 0x20 && $0 != HTTPRequestParser.htab) || $0 == 0x7F }
    }
}
