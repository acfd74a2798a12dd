import XCTest
import Foundation
@testable import HedgeCore

/// RFC 5424 records, the collector's JSON, the spool's line format, HTTP response heads and the
/// collector URL: the formats of issue 6 (remote health reporting).
final class EventFormatTests: XCTestCase {
    /// 2026-11-26T17:40:01.234Z
    let t0: Int64 = 1_795_714_801_234

    var failover: HedgeEvent {
        HedgeEvent(id: "0123456789abcdef-42", seq: 42, wallMs: t0, type: "failover", severity: .warning,
                   message: "ER down: traffic on VPN", fields: [EventField("path", "vpn"), EventField("from", "er")])
    }

    // MARK: RFC 5424

    func testSyslogGoldenRecord() {
        XCTAssertEqual(SyslogFormat.record(failover, hostname: "ce1", procID: "812"),
                       #"<28>1 2026-11-26T17:40:01.234Z ce1 hedge 812 failover [hedge@32473 id="0123456789abcdef-42" seq="42" path="vpn" from="er"] ER down: traffic on VPN"#)
    }

    func testSyslogPRIIsFacilityTimesEightPlusSeverity() {
        var e = failover
        e.severity = .error
        XCTAssertTrue(SyslogFormat.record(e, facility: .local0, hostname: "h").hasPrefix("<131>1 "))
        e.severity = .emergency
        XCTAssertTrue(SyslogFormat.record(e, facility: SyslogFacility(code: 0)!, hostname: "h").hasPrefix("<0>1 "))
        e.severity = .debug
        XCTAssertTrue(SyslogFormat.record(e, facility: .local7, hostname: "h").hasPrefix("<191>1 "))
        XCTAssertNil(SyslogFacility(code: 24))
        XCTAssertEqual(SyslogFacility(name: "LOCAL3"), .local3)
        XCTAssertEqual(SyslogFacility(name: "daemon"), .daemon)
        XCTAssertNil(SyslogFacility(name: "local8"))
        XCTAssertEqual(SyslogSeverity(name: "crit"), .critical)
        XCTAssertEqual(SyslogSeverity(name: "Informational"), .informational)
    }

    func testSyslogParamValueEscapingAndSDNameSanitizing() {
        var e = failover
        e.fields = [EventField("reason", #"say "hi" \ [x] ok"#), EventField("bad name=x]\"", "v"),
                    EventField("", "empty"), EventField(String(repeating: "n", count: 40), "long"),
                    EventField("ünï", "utf8 välue")]
        let r = SyslogFormat.record(e, hostname: "ce1", procID: "1")
        XCTAssertTrue(r.contains(#" reason="say \"hi\" \\ [x\] ok""#), r)
        XCTAssertTrue(r.contains(#" bad_name_x__="v""#), r)
        XCTAssertTrue(r.contains(#" _="empty""#), r)
        XCTAssertTrue(r.contains(" " + String(repeating: "n", count: 32) + #"="long""#), r)
        // PARAM-VALUE is UTF-8 as is; SD-NAME is US-ASCII only.
        XCTAssertTrue(r.contains(#" _n_="utf8 välue""#), r)
    }

    func testSyslogNilValuesAndHeaderFieldRules() {
        let e = HedgeEvent(wallMs: t0, type: "", severity: .informational, message: "")
        XCTAssertEqual(SyslogFormat.record(e, hostname: "", appName: "", procID: ""),
                       "<30>1 2026-11-26T17:40:01.234Z - - - - -")
        let f = HedgeEvent(wallMs: -5, type: String(repeating: "t", count: 40), severity: .notice, message: "x")
        XCTAssertEqual(SyslogFormat.record(f, hostname: "my host", appName: "hedge", procID: "7"),
                       "<29>1 - my_host hedge 7 " + String(repeating: "t", count: 32) + " - x")
        XCTAssertEqual(SyslogFormat.headerField(String(repeating: "h", count: 300), max: 255).count, 255)
    }

    func testSyslogMessageGetsTheBOMOnlyWhenNotASCII() {
        var e = failover
        e.message = "Ausfall über VPN"
        let r = SyslogFormat.record(e, hostname: "ce1", procID: "1")
        let bytes = Array(r.utf8)
        let marker = Array(#"from="er"] "#.utf8)
        guard let at = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) else { return XCTFail(r) }
        XCTAssertEqual(Array(bytes[(at + marker.count)...].prefix(3)), [0xEF, 0xBB, 0xBF])
        XCTAssertTrue(r.hasSuffix("\u{FEFF}Ausfall über VPN"))
        XCTAssertFalse(SyslogFormat.record(failover, hostname: "ce1").utf8.contains(0xEF))
    }

    func testSyslogLongMessageIsCutAtACharacterBoundary() {
        var e = failover
        e.message = String(repeating: "ü", count: 5000)
        let r = SyslogFormat.record(e, hostname: "ce1", maxLength: 1000)
        XCTAssertLessThanOrEqual(r.utf8.count, 1000)
        XCTAssertGreaterThan(r.utf8.count, 990)
        XCTAssertNotNil(String(validating: Array(r.utf8), as: UTF8.self))
        XCTAssertTrue(r.contains(" \u{FEFF}üü"))
    }

    // MARK: JSON

    func parseJSON(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let d = obj as? [String: Any] else {
            XCTFail("invalid JSON: \(text)", file: file, line: line); return [:]
        }
        return d
    }

    func testJSONGoldenObject() {
        XCTAssertEqual(EventJSON.object(failover, host: "ce1"),
                       #"{"id":"0123456789abcdef-42","seq":42,"time":"2026-11-26T17:40:01.234Z","type":"failover","severity":"warning","message":"ER down: traffic on VPN","host":"ce1","path":"vpn","from":"er"}"#)
    }

    func testJSONEscapesAndKeepsCollidingFields() {
        var e = failover
        e.message = "line1\nline2 \"q\" \u{1}"
        e.fields = [EventField("host", "other"), EventField("path", "a"), EventField("path", "b"), EventField("field_path", "c")]
        let text = EventJSON.object(e, host: "ce1")
        let d = parseJSON(text)
        XCTAssertEqual(d["message"] as? String, "line1\nline2 \"q\" \u{1}")
        XCTAssertEqual(d["host"] as? String, "ce1")
        XCTAssertEqual(d["field_host"] as? String, "other")
        XCTAssertEqual(d["path"] as? String, "a")
        XCTAssertEqual(d["field_path"] as? String, "b")
        XCTAssertEqual(d["field_field_path"] as? String, "c")
        XCTAssertEqual(d["seq"] as? Int, 42)
        XCTAssertEqual(d.count, 7 + 4)
        XCTAssertFalse(text.contains("\n"), "one line, for the spool")
    }

    // MARK: Spool lines

    func testSpoolLinesRoundTrip() {
        let a = EventJSON.object(failover, host: "ce1")
        var b = failover; b.seq = 43; b.message = "wieder über ER"
        let bj = EventJSON.object(b, host: "ce1")
        let text = EventSpoolFormat.line(seq: 42, json: a) + EventSpoolFormat.line(seq: 43, json: bj)
        XCTAssertTrue(text.hasPrefix("42 {\"id\""))
        let d = EventSpoolFormat.decode(Array(text.utf8))
        XCTAssertEqual(d.entries, [.init(seq: 42, json: a), .init(seq: 43, json: bj)])
        XCTAssertTrue(d.clean)
        XCTAssertEqual(EventSpoolFormat.decode([]), EventSpoolFormat.Decoded())
    }

    func testSpoolTornFinalLineIsCountedAndDropped() {
        let good = "1 {\"id\":\"x-1\"}\n2 {\"id\":\"x-2\"}\n"
        for cut in ["3", "3 ", "3 {\"id\":\"x-3\"", "3 {\"id\":\"x-3\"}"] {
            let d = EventSpoolFormat.decode(Array((good + cut).utf8))
            XCTAssertEqual(d.entries.map(\.seq), [1, 2], cut)
            XCTAssertEqual(d.torn, 1, cut)
            XCTAssertEqual(d.garbage, 0, cut)
        }
    }

    func testSpoolGarbageLinesAreCountedAndDropped() {
        var bytes = Array("1 {\"a\":1}\n".utf8)
        let bad = ["", "x {\"a\":1}", "2{\"a\":1}", "02 {\"a\":1}", "0 {\"a\":1}", "3 [1]", "4 {", "5  {\"a\":1}",
                   "99999999999999999999 {\"a\":1}", "1 {\"again\":1}", "6 {\"a\":\"\t\"}", "-7 {\"a\":1}"]
        for b in bad { bytes += Array(b.utf8) + [0x0A] }
        bytes += Array("7 {\"ok\":\"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)       // invalid UTF-8
        bytes += Array("8 {\"b\":\"ü\"}\n".utf8)
        let d = EventSpoolFormat.decode(bytes)
        XCTAssertEqual(d.entries.map(\.seq), [1, 8])
        XCTAssertEqual(d.entries.last?.json, "{\"b\":\"ü\"}")
        XCTAssertEqual(d.garbage, bad.count + 1)
        XCTAssertEqual(d.torn, 0)
    }

    func testSpoolSeqMustIncrease() {
        let d = EventSpoolFormat.decode(Array("5 {}\n3 {}\n5 {}\n6 {}\n".utf8))
        XCTAssertEqual(d.entries.map(\.seq), [5, 6])
        XCTAssertEqual(d.garbage, 2)
    }

    // MARK: HTTP response head

    func head(_ s: String) -> HTTPResponseHead { HTTPResponseHead.parse(Array(s.utf8)) }

    func testResponseHeadComplete() {
        let r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        XCTAssertEqual(head(r), .complete(status: 200, headerLength: r.utf8.count - 2, contentLength: 2))
        XCTAssertEqual(head("HTTP/1.0 204 No Content\r\n\r\n"), .complete(status: 204, headerLength: 27, contentLength: nil))
        XCTAssertEqual(head("HTTP/1.1 500\r\ncontent-length:  0 \r\n\r\n"), .complete(status: 500, headerLength: 37, contentLength: 0))
        // A bare LF ends a line (RFC 9112 §2.2).
        XCTAssertEqual(head("HTTP/1.1 202 Accepted\nX-A: b\n\n"), .complete(status: 202, headerLength: 30, contentLength: nil))
        XCTAssertEqual(head("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), .complete(status: 100, headerLength: 25, contentLength: nil))
    }

    func testResponseHeadIncomplete() {
        let r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
        for n in 0..<r.utf8.count {
            XCTAssertEqual(HTTPResponseHead.parse(Array(r.utf8.prefix(n))), .incomplete, "\(n) octets")
        }
    }

    func testResponseHeadMalformed() {
        for bad in ["SSH-2.0-OpenSSH_9.2\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
                    "HTTP/1.1 099 x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\n: v\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nA: b\r\n  folded\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"] {
            guard case .malformed = head(bad) else { XCTFail("accepted: \(bad.debugDescription)"); continue }
        }
        XCTAssertEqual(head("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"),
                       .complete(status: 200, headerLength: 57, contentLength: 3))
        // Never a head: too long without its end.
        let long = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: HTTPResponseHead.maxHeadLength)
        guard case .malformed = head(long) else { return XCTFail("endless head accepted") }
    }

    // MARK: Collector URL

    func url(_ s: String) -> Result<CollectorURL, CollectorURLError> {
        do { return .success(try CollectorURL(s)) } catch { return .failure(error) }
    }

    func testCollectorURLAccepted() throws {
        let a = try CollectorURL("http://127.0.0.1:8080/hedge/events?src=ce1#frag")
        XCTAssertEqual(a.address, IPAddress("127.0.0.1"))
        XCTAssertEqual(a.port, 8080)
        XCTAssertEqual(a.path, "/hedge/events?src=ce1")
        XCTAssertEqual(a.hostHeader, "127.0.0.1:8080")
        let b = try CollectorURL("HTTP://10.0.0.5")
        XCTAssertEqual(b, CollectorURL(address: IPAddress("10.0.0.5")!, port: 80, path: "/"))
        XCTAssertEqual(b.hostHeader, "10.0.0.5")
        XCTAssertEqual(b.description, "http://10.0.0.5/")
        let c = try CollectorURL("http://[2001:db8::1]:9000/in")
        XCTAssertEqual(c.address, IPAddress("2001:db8::1"))
        XCTAssertEqual(c.port, 9000)
        XCTAssertEqual(c.hostHeader, "[2001:db8::1]:9000")
        XCTAssertEqual(try CollectorURL("http://[::1]/").hostHeader, "[::1]")
    }

    func testCollectorURLRefused() {
        func message(_ s: String) -> String {
            if case .failure(let e) = url(s) { return e.message }
            XCTFail("accepted: \(s)"); return ""
        }
        XCTAssertTrue(message("https://127.0.0.1/").contains("no TLS"))
        XCTAssertTrue(message("https://127.0.0.1/").contains("relay"))
        XCTAssertTrue(message("http://collector.example/").contains("DNS"))
        XCTAssertTrue(message("http://2001:db8::1/").contains("brackets"))
        XCTAssertTrue(message("ftp://1.2.3.4/").contains("http://"))
        for bad in ["http://1.2.3.4:0/", "http://1.2.3.4:65536/", "http://1.2.3.4:/", "http://1.2.3.4:8a/",
                    "http://u:p@1.2.3.4/", "http:///x", "http://[::1/", "http://[::1]x/", "http://[fe80::1%25eth0]/",
                    "http://[1.2.3.4]/", "http://1.2.3.4/a b", "http://1.2.3.04/", "http://01.2.3.4/"] {
            if case .success = url(bad) { XCTFail("accepted: \(bad)") }
        }
    }
}
