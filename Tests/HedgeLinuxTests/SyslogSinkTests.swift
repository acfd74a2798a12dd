import Foundation
import XCTest
import CHedge
@testable import HedgeCore
@testable import HedgeLinux

/// SyslogSink against a real receiver: a Python program bound to UDP 127.0.0.1 or to a unix
/// datagram socket in a temp dir that checks every datagram against the RFC 5424 ABNF (§6, as a
/// strict regular expression over the octets) and writes what it parsed as one JSON line.
/// (rsyslogd is not installed on this machine kind; its parser is laxer than this one anyway.)
final class SyslogSinkTests: XCTestCase {
    var dir = ""

    static let receiver = #"""
    import json, os, re, socket, sys, time
    mode, where, out, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    PRINT = rb"[\x21-\x7e]"
    SDNAME = rb"[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}"
    PARAMVALUE = rb'(?:[^"\\\]]|\\["\\\]])*'        # '"', '\' and ']' only escaped (section 6.3.3)
    SDPARAM = SDNAME + rb'="' + PARAMVALUE + rb'"'
    SDELEMENT = rb"\[" + SDNAME + rb"(?: " + SDPARAM + rb")*\]"
    RFC5424 = re.compile(
        rb"<(?P<pri>[0-9]|[1-9][0-9]|1[0-8][0-9]|19[01])>(?P<version>[1-9][0-9]{0,2}) "
        rb"(?P<ts>-|[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)"
        rb"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])) "
        rb"(?P<host>-|" + PRINT + rb"{1,255}) (?P<app>-|" + PRINT + rb"{1,48}) (?P<procid>-|" + PRINT + rb"{1,128}) "
        rb"(?P<msgid>-|" + PRINT + rb"{1,32}) (?P<sd>-|(?:" + SDELEMENT + rb")+)(?: (?P<msg>.*))?\Z", re.S)
    PARAM = re.compile(rb" (" + SDNAME + rb')="(' + PARAMVALUE + rb')"')

    def check(d):
        m = RFC5424.match(d)
        if not m: return {"ok": False, "why": "ABNF", "raw": d.decode("latin-1")}
        msg = m.group("msg")
        if msg is not None:
            if msg.startswith(b"\xef\xbb\xbf"):
                msg = msg[3:].decode("utf-8")          # MSG-UTF8: must decode
            else:
                if any(b > 0x7f for b in msg): return {"ok": False, "why": "8-bit MSG without BOM", "raw": d.decode("latin-1")}
                msg = msg.decode("ascii")
        params = []
        sd = m.group("sd")
        if sd != b"-":
            for name, value in PARAM.findall(sd):
                params.append([name.decode(), re.sub(rb'\\(["\\\]])', rb"\1", value).decode("utf-8")])
        return {"ok": True, "pri": int(m.group("pri")), "ts": m.group("ts").decode(), "host": m.group("host").decode(),
                "app": m.group("app").decode(), "procid": m.group("procid").decode(), "msgid": m.group("msgid").decode(),
                "sdid": sd[1:].split(b" ")[0].rstrip(b"]").decode() if sd != b"-" else "-", "params": params, "msg": msg}

    if mode == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", int(where)))
    else:
        if os.path.exists(where): os.unlink(where)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(where)
    s.settimeout(15)
    open(out + ".ready", "w").close()
    n = 0
    while n < count:
        try: d = s.recv(65536)
        except socket.timeout: break
        try: r = check(d)
        except Exception as e: r = {"ok": False, "why": repr(e), "raw": d.decode("latin-1")}
        with open(out, "a") as f: f.write(json.dumps(r) + "\n")
        n += 1
    """#

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hedge-syslog-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try SyslogSinkTests.receiver.write(toFile: dir + "/receiver.py", atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        sh("for p in \(dir)/*.pid; do [ -f \"$p\" ] && kill -9 $(cat \"$p\") 2>/dev/null; done; true", check: false)
        try? FileManager.default.removeItem(atPath: dir)
    }

    func startReceiver(_ name: String, _ mode: String, _ whereTo: String, count: Int) {
        sh("""
        rm -f \(dir)/\(name).out.ready
        /usr/bin/python3 \(dir)/receiver.py \(mode) \(whereTo) \(dir)/\(name).out \(count) > \(dir)/\(name).log 2>&1 &
        echo $! > \(dir)/\(name).pid
        for i in $(seq 200); do [ -f \(dir)/\(name).out.ready ] && exit 0; sleep 0.05; done
        cat \(dir)/\(name).log; exit 1
        """)
    }

    func stopReceiver(_ name: String) {
        sh("""
        pid=$(cat \(dir)/\(name).pid); kill -9 $pid 2>/dev/null
        for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
        rm -f \(dir)/\(name).pid
        """, check: false)
    }

    /// The receiver's records, waiting up to 5 s for `count` of them.
    func records(_ name: String, count: Int) -> [[String: Any]] {
        let end = Date().addingTimeInterval(5)
        var lines: [Substring] = []
        repeat {
            let text = (try? String(contentsOfFile: dir + "/\(name).out", encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n")
            if lines.count >= count { break }
            usleep(20_000)
        } while Date() < end
        return lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }


    let events: [HedgeEvent] = [
        HedgeEvent(id: "00000000000000aa-1", seq: 1, wallMs: 1_795_714_801_234, type: "failover", severity: .warning,
                   message: "ER down: traffic on VPN", fields: [EventField("path", "vpn"), EventField("from", "er")]),
        HedgeEvent(id: "00000000000000aa-2", seq: 2, wallMs: 1_795_714_802_000, type: "config_reload_failed", severity: .error,
                   message: "Konfiguration ungültig: ‘gatway’", fields: [EventField("error", #"a "quoted" \path\ [x] ]"#),
                                                                          EventField("bad name=", "v")]),
        HedgeEvent(id: "00000000000000aa-3", seq: 3, wallMs: 1_795_714_803_000, type: "start", severity: .notice, message: ""),
    ]

    func checkRecords(_ got: [[String: Any]], sink: SyslogSink, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, events.count, "\(got)", file: file, line: line)
        for (r, e) in zip(got, events) {
            XCTAssertEqual(r["ok"] as? Bool, true, "\(r)", file: file, line: line)
            XCTAssertEqual(r["pri"] as? Int, 3 * 8 + e.severity.rawValue, file: file, line: line)
            XCTAssertEqual(r["msgid"] as? String, e.type, file: file, line: line)
            XCTAssertEqual(r["host"] as? String, "ce-test", file: file, line: line)
            XCTAssertEqual(r["app"] as? String, "hedge", file: file, line: line)
            XCTAssertEqual(r["procid"] as? String, "\(getpid())", file: file, line: line)
            XCTAssertEqual(r["sdid"] as? String, "hedge@32473", file: file, line: line)
            XCTAssertEqual(r["ts"] as? String, CivilTime(epochMs: e.wallMs).iso8601, file: file, line: line)
            let params = (r["params"] as? [[String]]) ?? []
            let expected = [["id", e.id], ["seq", "\(e.seq)"]] + e.fields.map { [SyslogFormat.sdName($0.name), $0.value] }
            XCTAssertEqual(params, expected, file: file, line: line)
            if e.message.isEmpty { XCTAssertTrue(r["msg"] is NSNull, file: file, line: line) }
            else { XCTAssertEqual(r["msg"] as? String, e.message, file: file, line: line) }
        }
    }

    func testUDPRecordsAreRFC5424() throws {
        let port = try freeLoopbackPort(SOCK_DGRAM)
        // The receiver must refuse what breaks the ABNF, or passing it proves nothing.
        let broken = [#"<28>1 2026-11-26T17:40:01.234Z h hedge - m [x@1 k="a]b"] unescaped ]"#,
                      "<28>1 - h hedge - m - 8-bit \u{00fc} without BOM",
                      "<192>1 - h hedge - m -", #"<28>1 - h hedge - m [x@1 b=d="v"]"#,
                      "<28>1 2026-13-01T00:00:00Z h hedge - m -", "<28>1 - h hedge - " + String(repeating: "m", count: 33) + " -"]
        startReceiver("udp", "udp", "\(port)", count: events.count + broken.count)
        let sink = try SyslogSink(target: .udp(IPAddress("127.0.0.1")!, port), hostname: "ce-test")
        for e in events { sink.send(e) }
        for b in broken { sink.send(record: b) }
        let got = records("udp", count: events.count + broken.count)
        checkRecords(Array(got.prefix(events.count)), sink: sink)
        XCTAssertEqual(got.dropFirst(events.count).map { $0["ok"] as? Bool }, broken.map { _ in false })
        XCTAssertEqual(sink.sent, events.count + broken.count)
        XCTAssertEqual(sink.errors, 0)
    }

    func testUnixDatagramRecordsAndAReceiverRestart() throws {
        let path = dir + "/log.sock"
        // The receiver is not there yet: no failure at start, the record is counted as lost.
        let sink = try SyslogSink(target: .local(path), hostname: "ce-test")
        XCTAssertFalse(sink.isConnected)
        sink.send(events[0])
        XCTAssertEqual(sink.errors, 1)

        startReceiver("u1", "unix", path, count: events.count)
        for e in events { sink.send(e) }
        checkRecords(records("u1", count: events.count), sink: sink)
        XCTAssertEqual(sink.sent, events.count)

        // The receiver dies (its socket file stays: ECONNREFUSED), then is gone (ENOENT).
        stopReceiver("u1")
        sink.send(events[0])
        unlink(path)
        sink.send(events[0])
        XCTAssertEqual(sink.errors, 3)
        XCTAssertEqual(sink.sent, events.count)

        // A new receiver on the same path (rsyslogd restarted): reached again.
        let before = sink.reconnects
        startReceiver("u2", "unix", path, count: events.count)
        for e in events { sink.send(e) }
        checkRecords(records("u2", count: events.count), sink: sink)
        XCTAssertEqual(sink.sent, 2 * events.count)
        XCTAssertEqual(sink.errors, 3)
        XCTAssertGreaterThan(sink.reconnects, before)
        XCTAssertTrue(sink.isConnected)
    }

    /// The facade: one emit goes to syslog with the id the spool gave it.
    func testEventLogSendsToSyslogWithTheSpoolsId() throws {
        let port = try freeLoopbackPort(SOCK_DGRAM)
        startReceiver("facade", "udp", "\(port)", count: 1)
        let sink = try SyslogSink(target: .udp(IPAddress("127.0.0.1")!, port), facility: .local3, hostname: "ce-test")
        let spool = try EventSpool(directory: dir + "/spool", maxEvents: 10)
        let log = EventLog(hostname: "ce-test", syslog: sink, spool: spool, pusher: nil)
        let e = log.emit(type: "path_down", severity: .warning, message: "er: BFD down", fields: [EventField("path", "er")],
                         wallMs: 1_795_714_801_234, now: 0)
        let got = records("facade", count: 1)
        XCTAssertEqual(got.first?["ok"] as? Bool, true, "\(got)")
        XCTAssertEqual(got.first?["pri"] as? Int, 19 * 8 + 4)
        XCTAssertEqual((got.first?["params"] as? [[String]])?.first, ["id", "\(spool.instanceID)-1"])
        XCTAssertEqual(e.id, "\(spool.instanceID)-1")
        XCTAssertEqual(spool.queued, 1)
    }
}
