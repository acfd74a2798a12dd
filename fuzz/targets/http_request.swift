// libFuzzer target: HTTPRequestParser on what a client sends, read the way HTTPServer reads it
// (the bytes so far, parsed afresh; a complete request consumed; pipelined ones after it), and
// HTTPResponse.serialize for each request.
//
// Input: one control byte, then the TCP byte stream from the client.
//   control bits 0..5  chunk size the stream arrives in (0 = all at once)
//   control bit  6     small limits (request line 40, header section 120, 3 fields) to reach 414/431
//   control bit  7     the response echoes the request's fields as extra headers (injection attempts)
// Invariants: a verdict on the bytes so far is the verdict on the whole rest of the stream (the
// cut never matters); consumed is within what was given and within the limits; a request's path
// is "*" or starts with "/"; its parts are what the grammar allows; it re-serializes to itself;
// the response to it is well-framed.
// Seeds (fuzz/seeds/http_request/) are written by hand, not by fuzz/seeds/make-seeds: they are
// plain text requests behind a control byte, captured from curl 7.88.1 and Prometheus 2.42.0 or
// typed from RFC 9112's grammar.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let chunk = Int(control & 0x3F)
    let limits = control & 0x40 != 0 ? HTTPRequestLimits(requestLine: 40, headerSection: 120, fields: 3) : .standard
    let echo = control & 0x80 != 0

    var start = 0      // first octet of the request being read
    var received = 0   // octets delivered so far
    feed: while received < stream.count {
        received = chunk == 0 ? stream.count : min(received + chunk, stream.count)
        while start < received {
            let given = received - start
            let verdict = HTTPRequestParser.parse(stream[start..<received], limits: limits)
            if verdict == .incomplete {
                // The parser decides within maxHead octets: a server stops reading there.
                precondition(given < limits.maxHead, "incomplete after \(given) octets")
                continue feed
            }
            precondition(verdict == HTTPRequestParser.parse(stream[start...], limits: limits), "verdict depends on the cut")
            switch verdict {
            case .incomplete:
                preconditionFailure()
            case .failure(let status, let reason):
                precondition([400, 414, 431, 505].contains(status), "status \(status)")
                precondition(!reason.isEmpty)
                respond(.text(status, reason + "\n"), head: false, keepAlive: false, echo: [])
                break feed   // the server answers and closes
            case .complete(let request, let consumed):
                precondition(consumed > 0 && consumed <= given && consumed <= limits.maxHead)
                check(request, limits)
                respond(HTTPResponse(status: 200, contentType: request.header("accept") ?? "text/plain",
                                     body: Array(request.path.utf8)),
                        head: request.method == "HEAD", keepAlive: request.keepAlive, echo: echo ? request.headers : [])
                start += consumed
            }
        }
    }
    return 0
}

private func check(_ r: HTTPRequest, _ limits: HTTPRequestLimits) {
    let path = Array(r.path.utf8)
    precondition(r.path == "*" || path.first == UInt8(ascii: "/"), "path \(r.path)")
    precondition(path.allSatisfy(HTTPRequestParser.isTargetChar))
    precondition(!r.method.isEmpty && r.method.utf8.allSatisfy(HTTPRequestParser.isTchar))
    precondition(!r.target.isEmpty && r.target.utf8.allSatisfy(HTTPRequestParser.isTargetChar))
    if let q = r.query { precondition(r.target.hasSuffix("?" + q)) }
    precondition(r.versionMinor == 0 || r.versionMinor == 1)
    precondition(r.headers.count <= limits.fields)
    for f in r.headers {
        let name = Array(f.name.utf8), value = Array(f.value.utf8)
        precondition(!name.isEmpty && name.allSatisfy { HTTPRequestParser.isTchar($0) && !($0 >= 0x41 && $0 <= 0x5A) })
        precondition(value.first.map { !HTTPRequestParser.isOWS($0) } ?? true)
        precondition(value.last.map { !HTTPRequestParser.isOWS($0) } ?? true)
        precondition(HTTPResponse.isFieldValue(f.value))
    }
    if r.versionMinor == 1 { precondition(r.header("host") != nil) }
    if r.method == "GET" || r.method == "HEAD" { precondition(!r.hasBody) }
    fuzzSink(r.keepAlive)

    // Written out again with CRLF, the request reads back the same (values may have grown: an
    // invalid UTF-8 octet became U+FFFD, three octets).
    var text = "\(r.method) \(r.target) HTTP/1.\(r.versionMinor)\r\n"
    for f in r.headers { text += f.name + ": " + f.value + "\r\n" }
    text += "\r\n"
    let roomy = HTTPRequestLimits(requestLine: limits.requestLine, headerSection: limits.headerSection * 3 + 8, fields: limits.fields)
    guard case .complete(let again, let n) = HTTPRequestParser.parse(Array(text.utf8), limits: roomy) else {
        preconditionFailure("re-serialized request does not parse: \(text)")
    }
    precondition(again == r && n == text.utf8.count)
}

/// The response is a status line, field lines without stray CR or LF, an empty line, and exactly
/// Content-Length octets of content (none for HEAD).
private func respond(_ response: HTTPResponse, head: Bool, keepAlive: Bool, echo: [HTTPHeaderField]) {
    var response = response
    response.extraHeaders = echo
    let out = response.serialize(head: head, keepAlive: keepAlive)
    var lines: [ArraySlice<UInt8>] = []
    var i = 0, lineStart = 0
    while i + 1 < out.count {
        if out[i] == 13 && out[i + 1] == 10 {
            lines.append(out[lineStart..<i])
            i += 2
            lineStart = i
            if lines.last!.isEmpty { break }
            continue
        }
        precondition(out[i] != 13 && out[i] != 10, "bare CR or LF in the head")
        i += 1
    }
    precondition(lines.count >= 3 && lines.last!.isEmpty, "unterminated head")
    let body = out[lineStart...]
    precondition(String(decoding: lines[0], as: UTF8.self).hasPrefix("HTTP/1.1 \(response.status) "))
    var length: Int?
    var close = false
    for l in lines.dropFirst().dropLast() {
        guard let colon = l.firstIndex(of: UInt8(ascii: ":")) else { preconditionFailure("field without colon") }
        precondition(colon > l.startIndex && l[l.startIndex..<colon].allSatisfy(HTTPRequestParser.isTchar))
        let text = String(decoding: l, as: UTF8.self)
        if text.hasPrefix("Content-Length: ") { precondition(length == nil); length = Int(text.dropFirst(16)) }
        if text == "Connection: close" { close = true }
    }
    precondition(close == !keepAlive)
    precondition(length == response.body.count)
    precondition(Array(body) == (head ? [] : response.body))
    // Every echoed field that is a field went out as its own line, unchanged.
    let written = Set(lines.map { String(decoding: $0, as: UTF8.self) })
    for f in echo where !f.name.isEmpty { precondition(written.contains(f.name + ": " + f.value), "field \(f.name) lost") }
}
