import XCTest
@testable import HedgeCore

/// Requests as real clients send them (captured on the wire, Debian 12).
enum HTTPGolden {
    /// `curl http://127.0.0.1:18931/metrics` (curl 7.88.1).
    static let curl = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:18931\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
    /// `curl -I http://127.0.0.1:18931/status`.
    static let curlHead = "HEAD /status HTTP/1.1\r\nHost: 127.0.0.1:18931\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
    /// A scrape by Prometheus 2.42.0 (scrape_timeout 1s).
    static let prometheus = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:18932\r\nUser-Agent: Prometheus/2.42.0+ds\r\n"
        + "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 1\r\n\r\n"
}

final class HTTPRequestParserTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private func complete(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> (HTTPRequest, Int)? {
        let r = HTTPRequestParser.parse(bytes(s))
        guard case .complete(let req, let n) = r else { XCTFail("not complete: \(r)", file: file, line: line); return nil }
        return (req, n)
    }

    private func status(_ b: [UInt8], _ limits: HTTPRequestLimits = .standard) -> Int? {
        if case .failure(let s, _) = HTTPRequestParser.parse(b, limits: limits) { return s }
        return nil
    }

    private func status(_ s: String) -> Int? { status(bytes(s)) }

    // MARK: - Golden requests

    func testCurl() throws {
        let (r, n) = try XCTUnwrap(complete(HTTPGolden.curl))
        XCTAssertEqual(n, HTTPGolden.curl.utf8.count)
        XCTAssertEqual(r, HTTPRequest(method: "GET", target: "/metrics", path: "/metrics", query: nil, versionMinor: 1, headers: [
            HTTPHeaderField(name: "host", value: "127.0.0.1:18931"),
            HTTPHeaderField(name: "user-agent", value: "curl/7.88.1"),
            HTTPHeaderField(name: "accept", value: "*/*"),
        ]))
        XCTAssertTrue(r.keepAlive)
        XCTAssertFalse(r.hasBody)
        XCTAssertEqual(r.header("User-Agent"), "curl/7.88.1")
        XCTAssertNil(r.header("content-length"))
    }

    func testCurlHead() throws {
        let (r, _) = try XCTUnwrap(complete(HTTPGolden.curlHead))
        XCTAssertEqual(r.method, "HEAD")
        XCTAssertEqual(r.path, "/status")
    }

    func testPrometheusScrape() throws {
        let (r, n) = try XCTUnwrap(complete(HTTPGolden.prometheus))
        XCTAssertEqual(n, HTTPGolden.prometheus.utf8.count)
        XCTAssertEqual(r.path, "/metrics")
        XCTAssertEqual(r.headers.count, 5)
        XCTAssertEqual(r.header("accept"), "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                       + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
        XCTAssertEqual(r.header("X-Prometheus-Scrape-Timeout-Seconds"), "1")
        XCTAssertEqual(r.header("accept-encoding"), "gzip")
        XCTAssertTrue(r.keepAlive)
    }

    func testQueryAndForms() throws {
        var (r, _) = try XCTUnwrap(complete("GET /status?format=json&x=%20 HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.path, "/status")
        XCTAssertEqual(r.query, "format=json&x=%20")
        (r, _) = try XCTUnwrap(complete("GET /metrics? HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.query, "")
        (r, _) = try XCTUnwrap(complete("GET /a?b?c HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.path, "/a"); XCTAssertEqual(r.query, "b?c")
        // absolute-form (RFC 9112 §3.2.2: a server must accept it)
        (r, _) = try XCTUnwrap(complete("GET http://127.0.0.1:9100/metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n\r\n"))
        XCTAssertEqual(r.target, "http://127.0.0.1:9100/metrics?x=1")
        XCTAssertEqual(r.path, "/metrics"); XCTAssertEqual(r.query, "x=1")
        (r, _) = try XCTUnwrap(complete("GET HTTP://[::1]:9100 HTTP/1.1\r\nHost: [::1]:9100\r\n\r\n"))
        XCTAssertEqual(r.path, "/"); XCTAssertNil(r.query)
        (r, _) = try XCTUnwrap(complete("GET https://h?q HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.path, "/"); XCTAssertEqual(r.query, "q")
        // asterisk-form
        (r, _) = try XCTUnwrap(complete("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.path, "*"); XCTAssertEqual(r.method, "OPTIONS")
    }

    func testVersionsAndKeepAlive() throws {
        var (r, _) = try XCTUnwrap(complete("GET / HTTP/1.0\r\n\r\n"))      // 1.0 needs no Host
        XCTAssertEqual(r.versionMinor, 0); XCTAssertFalse(r.keepAlive)
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        XCTAssertTrue(r.keepAlive)
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
        XCTAssertFalse(r.keepAlive)
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nConnection: TE, Close\r\n\r\n"))
        XCTAssertFalse(r.keepAlive)
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nconnection: close\r\n\r\n"))
        XCTAssertFalse(r.keepAlive)
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n"))
        XCTAssertTrue(r.keepAlive)
        // A later HTTP/1.x is served as 1.1 (RFC 9110 §6.2).
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.7\r\nHost: h\r\n\r\n"))
        XCTAssertEqual(r.versionMinor, 1)
    }

    func testLenientWhereRFC9112Allows() throws {
        // Bare LF line ends (§2.2), a stray empty line before the request line (§2.2).
        let lfOnly = "GET /metrics HTTP/1.1\nHost: h\nAccept: */*\n\n"
        var (r, n) = try XCTUnwrap(complete(lfOnly))
        XCTAssertEqual(n, lfOnly.utf8.count)
        XCTAssertEqual(r.header("accept"), "*/*")
        (r, n) = try XCTUnwrap(complete("\r\n\nGET / HTTP/1.1\r\nHost: h\n\r\n"))
        XCTAssertEqual(n, 29); XCTAssertEqual(r.path, "/")
        // OWS around the value goes, inside it stays; names lower-cased; repeated fields joined.
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHOST:h\r\nX-A: \t one  two \t\r\nx-a:three\r\nX-Empty:\r\n\r\n"))
        XCTAssertEqual(r.headers[1], HTTPHeaderField(name: "x-a", value: "one  two"))
        XCTAssertEqual(r.header("X-A"), "one  two, three")
        XCTAssertEqual(r.header("x-empty"), "")
        XCTAssertEqual(r.header("host"), "h")
        // Octets above 0x7F in a value are obs-text, allowed.
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u{E9}\r\n\r\n"))
        XCTAssertEqual(r.header("x-name"), "caf\u{E9}")
        // Content-Length: 0 is no body.
        (r, _) = try XCTUnwrap(complete("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"))
        XCTAssertFalse(r.hasBody)
    }

    func testOtherMethodsParseForTheServerToRefuse() throws {
        var (r, _) = try XCTUnwrap(complete("POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"))
        XCTAssertEqual(r.method, "POST"); XCTAssertTrue(r.hasBody)
        (r, _) = try XCTUnwrap(complete("PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"))
        XCTAssertTrue(r.hasBody)
        (r, _) = try XCTUnwrap(complete("get / HTTP/1.1\r\nHost: h\r\n\r\n"))   // methods are case-sensitive
        XCTAssertEqual(r.method, "get")
    }

    func testPipelinedRequests() throws {
        let two = Array((HTTPGolden.curl + HTTPGolden.curlHead).utf8)
        guard case .complete(let a, let n) = HTTPRequestParser.parse(two) else { return XCTFail() }
        XCTAssertEqual(a.method, "GET"); XCTAssertEqual(n, HTTPGolden.curl.utf8.count)
        guard case .complete(let b, let m) = HTTPRequestParser.parse(two[n...]) else { return XCTFail() }
        XCTAssertEqual(b.method, "HEAD"); XCTAssertEqual(n + m, two.count)
        XCTAssertEqual(HTTPRequestParser.parse(two[(n + m)...]), .incomplete)
    }

    // MARK: - Failures

    func testMalformedIs400() {
        let bad = [
            "\u{16}\u{03}\u{01}\u{00}\u{A5}\u{01}",                   // a TLS ClientHello: refused at once
            "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",                     // two spaces
            " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
            "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /\r\n\r\n",                                          // HTTP/0.9
            "GET / http/1.1\r\nHost: h\r\n\r\n",                      // HTTP-name is case-sensitive
            "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
            "GET / HTTP/1\r\nHost: h\r\n\r\n",
            "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET metrics HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n",                   // authority-form
            "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET http://u@h/x HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\rHost: h\r\n\r\n",                        // bare CR
            "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n",  // obs-fold
            "GET / HTTP/1.1\r\n Host: h\r\n\r\n",                     // whitespace before the first field
            "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                     // whitespace before the colon
            "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",                                 // HTTP/1.1 without Host
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
            "HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
            "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0, 0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        ]
        for s in bad { XCTAssertEqual(status(s), 400, s.debugDescription) }
        XCTAssertEqual(status([0x16, 0x03, 0x01]), 400, "binary refused before a line ends")
    }

    func testVersionNotSupportedIs505() {
        for v in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0"] {
            XCTAssertEqual(status("GET / \(v)\r\nHost: h\r\n\r\n"), 505, v)
        }
        // The PRI preface of HTTP/2 with prior knowledge.
        XCTAssertEqual(status("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505)
    }

    func testRequestLineLimitIs414() {
        let pad = { (n: Int) in String(repeating: "a", count: n) }
        // 2048 octets exactly: accepted; one more: 414, with or without the rest of the line.
        let fits = "GET /" + pad(2048 - 14) + " HTTP/1.1"
        XCTAssertEqual(fits.utf8.count, 2048)
        XCTAssertNotNil(complete(fits + "\r\nHost: h\r\n\r\n"))
        XCTAssertNotNil(complete(fits + "\nHost: h\r\n\r\n"))
        let long = "GET /" + pad(2048 - 13) + " HTTP/1.1"
        XCTAssertEqual(status(long + "\r\nHost: h\r\n\r\n"), 414)
        XCTAssertEqual(status(long + "\nHost: h\r\n\r\n"), 414)
        XCTAssertEqual(status("GET /" + pad(5000)), 414)
        XCTAssertEqual(HTTPRequestParser.parse(bytes("GET /" + pad(2040))), .incomplete)
        // Not even a method: 400.
        XCTAssertEqual(status(pad(3000)), 400)
        // Leading empty lines count: a client cannot stream them forever.
        XCTAssertEqual(status(String(repeating: "\r\n", count: 1100)), 400)
    }

    func testHeaderSectionLimitsAre431() {
        let head = "GET / HTTP/1.1\r\n"
        // 8192 octets of header section exactly (the empty line included): accepted.
        let host = "Host: h\r\n"
        let filler = "X: " + String(repeating: "v", count: 8192 - host.utf8.count - 2 - 5) + "\r\n"
        XCTAssertEqual((host + filler + "\r\n").utf8.count, 8192)
        XCTAssertNotNil(complete(head + host + filler + "\r\n"))
        let over = "X: " + String(repeating: "v", count: 8192 - host.utf8.count - 2 - 4) + "\r\n"
        XCTAssertEqual(status(head + host + over + "\r\n"), 431)
        // One line that never ends.
        XCTAssertEqual(status(head + host + "X: " + String(repeating: "v", count: 9000)), 431)
        // 64 fields: accepted; 65: 431.
        let fields = { (n: Int) in head + host + (1..<n).map { "X-\($0): \($0)\r\n" }.joined() + "\r\n" }
        XCTAssertEqual(complete(fields(64))?.0.headers.count, 64)
        XCTAssertEqual(status(fields(65)), 431)
        // Smaller limits are honoured.
        let small = HTTPRequestLimits(requestLine: 32, headerSection: 64, fields: 2)
        XCTAssertEqual(status(bytes("GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\n"), small), 414)
        XCTAssertEqual(status(bytes(head + host + "A: 1\r\nB: 2\r\n\r\n"), small), 431)
        if case .complete = HTTPRequestParser.parse(bytes(head + host + "A: 1\r\n\r\n"), limits: small) {} else { XCTFail() }
    }

    // MARK: - Any cut

    /// Every prefix is `.incomplete` or already the whole input's verdict; a complete request is
    /// complete exactly when its last octet arrives.
    func testSplitAtEveryOffsetGivesTheSameResult() {
        var inputs = [HTTPGolden.curl, HTTPGolden.curlHead, HTTPGolden.prometheus,
                      "\r\nGET /a?b HTTP/1.0\nConnection: keep-alive\n\n",
                      "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n",
                      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
                      "GET / HTTP/2.0\r\n\r\n", "GET /x#y HTTP/1.1\r\n\r\n", "\u{16}\u{03}\u{01}",
                      "GET / HTTP/1.1\r\n\r\n", HTTPGolden.curl + HTTPGolden.prometheus,
                      "GET /" + String(repeating: "a", count: 2100) + " HTTP/1.1\r\n\r\n",
                      "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X: y\r\n", count: 70) + "\r\n",
                      "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 8300) + "\r\n\r\n"]
        inputs.append(String(repeating: "\n", count: 2060))
        for s in inputs {
            let b = bytes(s)
            let whole = HTTPRequestParser.parse(b)
            XCTAssertNotEqual(whole, .incomplete, s.debugDescription)
            var firstVerdict: Int?
            for k in 0..<b.count {
                let r = HTTPRequestParser.parse(b[0..<k])
                if r != .incomplete {
                    XCTAssertEqual(r, whole, "cut at \(k) of \(s.prefix(60).debugDescription)")
                    if firstVerdict == nil { firstVerdict = k }
                }
            }
            if case .complete(_, let n) = whole {
                XCTAssertEqual(firstVerdict ?? b.count, n, s.debugDescription)
                // Indices of a slice not starting at 0 do not matter.
                XCTAssertEqual(HTTPRequestParser.parse((bytes("xx") + b)[2...]), whole)
            }
        }
    }
}
