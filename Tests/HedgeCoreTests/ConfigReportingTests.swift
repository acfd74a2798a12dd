import XCTest
@testable import HedgeCore

/// `reporting { http; syslog; syslog-facility; push { spool; max-events; } }`.
final class ConfigReportingTests: XCTestCase, ConfigChecking {
    /// Lines 1–3 fixed; the reporting body starts on line 4, its statements at column 5.
    func conf(_ body: [String]) -> String {
        var t = ConfigTests.minimal + "reporting {\n"
        for b in body { t += "    " + b + "\n" }
        return t + "}\n"
    }

    func testDefaultsServeOnLoopbackAndSendNothing() throws {
        let r = parse(ConfigTests.minimal)
        let c = try XCTUnwrap(r.config)
        XCTAssertEqual(c.reporting.http, HTTPListenConfig(address: IPAddress("127.0.0.1")!, port: 9180))
        XCTAssertNil(c.reporting.syslog)
        XCTAssertNil(c.reporting.push)
    }

    func testEverything() throws {
        let r = parse(conf(["http ::1 port 9911;", "syslog udp 192.0.2.10 port 5514;", "syslog-facility local3;",
                            "push \"http://192.0.2.20:8080/hedge/events\" { spool \"/var/lib/hedge/q\"; max-events 500; }"]))
        XCTAssertEqual(lines(r), [])
        let c = try XCTUnwrap(r.config).reporting
        XCTAssertEqual(c.http, HTTPListenConfig(address: IPAddress("::1")!, port: 9911))
        XCTAssertEqual(c.syslog, .udp(IPAddress("192.0.2.10")!, 5514))
        XCTAssertEqual(c.syslogFacility, 19)
        XCTAssertEqual(c.push, PushConfig(url: "http://192.0.2.20:8080/hedge/events", spool: "/var/lib/hedge/q", maxEvents: 500))
    }

    func testLocalSyslogAndHTTPOff() throws {
        let c = try XCTUnwrap(parse(conf(["http off;", "syslog local;"])).config).reporting
        XCTAssertNil(c.http)
        XCTAssertEqual(c.syslog, .local("/dev/log"))
        let d = try XCTUnwrap(parse(conf(["syslog local \"/run/rsyslog/hedge.sock\";"])).config).reporting
        XCTAssertEqual(d.syslog, .local("/run/rsyslog/hedge.sock"))
        XCTAssertEqual(d.syslogFacility, 3, "daemon")
    }

    func testErrorsNameTheSpot() {
        let header = ConfigTests.minimal.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        let l = header   // line of the first reporting statement
        expectError(conf(["http 127.0.0.1 port 70000;"]), at: l, 25, "http port must be 1–65535")
        expectError(conf(["http localhost;"]), at: l, 10, "invalid IP address")
        expectError(conf(["http 127.0.0.1 9180;"]), at: l, 20, "expected 'port NUMBER'")
        expectError(conf(["syslog tcp 192.0.2.1;"]), at: l, 12, "syslog takes 'local', 'udp' or 'off'")
        expectError(conf(["syslog udp;"]), at: l, 12, "needs the collector's address")
        expectError(conf(["syslog local \"dev/log\";"]), at: l, 18, "absolute path")
        expectError(conf(["syslog local;", "syslog-facility local9;"]), at: l + 1, 21, "unknown syslog facility 'local9' (did you mean")
        expectError(conf(["push \"https://192.0.2.1/e\" { }"]), at: l, 10, "https")
        expectError(conf(["push \"http://collector.example/e\";"]), at: l, 10, "not an IP address")
        expectError(conf(["push \"http://192.0.2.1/e\" { spool \"relative\"; }"]), at: l, 39, "absolute directory path")
        expectError(conf(["push \"http://192.0.2.1/e\" { max-events 0; }"]), at: l, 44, "max-events must be")
        expectError(conf(["bogus 1;"]), at: l, 5, "unknown statement 'bogus' in reporting")
    }

    func testWarnings() {
        let l = ConfigTests.minimal.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        expectWarning(conf(["http 0.0.0.0 port 9180;"]), at: l, 10, "not loopback")
        expectWarning(conf(["syslog-facility local0;"]), at: l, 21, "without a 'syslog' destination")
    }
}
