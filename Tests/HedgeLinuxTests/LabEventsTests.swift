import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Events from the real agent: RFC 5424 records to a syslog receiver over UDP, and the push to an
/// HTTP collector (lab/collector.py) that is down while ExpressRoute fails and comes back and
/// while hedge is killed and restarted. When it returns, every event arrives, exactly once.
final class LabEventsTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge events (syslog, push with an on-disk queue) in the namespace lab")
    }

    func events(_ lab: Lab) -> [String: Any] { lab.status()["events"] as? [String: Any] ?? [:] }

    func testEveryEventDeliveredOnceAfterCollectorOutageAndRestart() throws {
        let lab = Lab("tv")
        lab.writeConfig()
        let log = lab.dir + "/collector.log", syslog = lab.dir + "/syslog.txt"
        try (String(contentsOfFile: lab.configPath, encoding: .utf8) + """

            reporting {
                push "http://127.0.0.1:18099/hedge/events" { spool "\(lab.dir)/spool"; max-events 1000; }
                syslog udp 127.0.0.1 port 15514;
                syslog-facility local3;
            }
            """).write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        // The syslog receiver: one datagram, one line.
        sh("""
            ip netns exec tv-onprem python3 -c '
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 15514))
            f = open(sys.argv[1], "a")
            while True:
                f.write(s.recv(65535).decode("utf-8", "replace").replace("\\n", " ") + "\\n"); f.flush()
            ' \(syslog) >/dev/null 2>&1 & echo $! >\(lab.dir)/syslog.pid
            """)
        defer { sh("kill $(cat \(lab.dir)/syslog.pid) $(cat \(lab.dir)/collector.pid 2>/dev/null) 2>/dev/null", check: false) }

        // The collector is down: everything below is queued on disk.
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, lab.log)
        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(8) { lab.kernelPath == "expressroute" }, lab.log)
        XCTAssertTrue(waitFor(3) { events(lab)["queued"] as? Int ?? 0 > 5 && events(lab)["push_errors"] as? Int ?? 0 > 0 }, "\(events(lab))")
        let queuedBefore = events(lab)["queued"] as? Int ?? 0
        XCTAssertGreaterThan(queuedBefore, 5, "\(events(lab))")
        XCTAssertGreaterThan(events(lab)["push_errors"] as? Int ?? 0, 0, "the collector was tried and refused")

        // A crash, and a new agent: the queue is on disk.
        lab.stopHedge(signal: SIGKILL)
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertGreaterThan(events(lab)["queued"] as? Int ?? 0, queuedBefore, "the queue survived the restart")

        // The collector returns.
        sh("""
            ip netns exec tv-onprem python3 \(packageRoot)/lab/collector.py 18099 \(log) 0 >\(lab.dir)/collector.out 2>&1 &
            echo $! >\(lab.dir)/collector.pid
            """)
        XCTAssertTrue(waitFor(40) { (self.events(lab)["queued"] as? Int) == 0 }, "delivered after the outage: \(events(lab))\n\(lab.log)")
        let delivered = events(lab)["delivered"] as? Int ?? 0
        let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("DUP") || $0.hasPrefix("BAD") }, [], "no duplicates, no malformed requests")
        let ids = lines.filter { $0.hasPrefix("ID ") }.map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(ids.count, delivered, "the collector holds what hedge counts as delivered")
        XCTAssertEqual(ids.map { UInt64($0[2]) ?? 0 }, (1...UInt64(max(ids.count, 1))).map { $0 },
                       "every sequence number, in order, none missing: \(ids.map { $0[2] })")
        XCTAssertEqual(Set(ids.map { $0[1].split(separator: "-").first.map(String.init) ?? "" }).count, 1,
                       "one instance id across the restart")
        let types = ids.map { $0[3] }
        XCTAssertEqual(types.filter { $0 == "start" }.count, 2, "\(types)")
        for t in ["failover", "failback", "path_down", "path_up", "probe_down"] {
            XCTAssertTrue(types.contains(t), "\(t) in \(types)")
        }

        // With the collector up, a new event goes out at once.
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" })
        XCTAssertTrue(waitFor(3) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasSuffix(" failover") }.count == 2
        }, "the second failover is pushed promptly")

        // The same events as RFC 5424 records: <PRI>1 TIMESTAMP HOST hedge PROCID MSGID [SD] MSG.
        let records = ((try? String(contentsOfFile: syslog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        let failover = records.first { $0.contains(" failover [hedge@32473 ") }
        XCTAssertNotNil(failover, "\(records.prefix(5))")
        let rfc5424 = try NSRegularExpression(pattern: #"^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ hedge \d+ [!-~]{1,32} (-|(\[[^\]]*\])+)( .*)?$"#)
        for r in records {
            XCTAssertNotNil(rfc5424.firstMatch(in: r, range: NSRange(r.startIndex..., in: r)), "RFC 5424: \(r)")
        }
        // local3 (19) * 8 + warning (4) = 156.
        XCTAssertTrue(failover?.hasPrefix("<156>1 ") ?? false, failover ?? "")
        XCTAssertTrue(failover?.contains("group=\"azure\"") ?? false, failover ?? "")
    }
}
