import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 23's finding, in the namespace lab against the real hedge binary: slowloris clients on
/// the metrics endpoint. 200 of them, from 50 loopback addresses inside on-prem, while ExpressRoute
/// fails: the group fails over as it does without them, and ordinary scrapes are answered within
/// a second throughout, the last of them showing the failover.
final class LabHTTPSlowTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("slow HTTP clients against hedge's metrics endpoint in the namespace lab")
    }

    /// A metric's value in a scrape, by its name and labels as rendered.
    func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func testFailoverAndScrapesUnderTwoHundredSlowClients() throws {
        let lab = Lab("hs")
        lab.writeConfig()
        try (String(contentsOfFile: lab.configPath, encoding: .utf8) + "\nreporting { http 127.0.0.1 port 9180; }\n")
            .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)

        let ns = "hs-onprem"
        var times: [Double] = []
        func scrape(_ what: String) -> String {
            let r = timedScrape("127.0.0.1", 9180, netns: ns)
            XCTAssertEqual(r.status, 200, what)
            XCTAssertLessThan(r.seconds, 1.0, what)
            times.append(r.seconds)
            return r.body
        }

        let flood = SlowFlood(port: 9180, count: 200, sources: 50, intervalMs: 300, netns: ns)
        flood.start()
        defer { flood.stop() }
        usleep(1_500_000)
        XCTAssertGreaterThanOrEqual(flood.counters.maxConnected, 32, "the flood fills every place")
        for i in 0..<4 {
            let m = scrape("scrape \(i) before the failure")
            XCTAssertEqual(sample(m, "hedge_group_active{group=\"azure\",path=\"expressroute\"}"), 1, m)
            usleep(400_000)
        }

        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, lab.log)
        let g = lab.group()
        XCTAssertEqual(g["active"] as? String, "vpn")
        let last = g["last_switch"] as? [String: Any] ?? [:]
        XCTAssertEqual(last["kind"] as? String, "failover")
        XCTAssertTrue((last["reason"] as? String ?? "").contains("probe"), "failover names its cause: \(last)")

        var m = ""
        for i in 0..<8 {
            m = scrape("scrape \(i) after the failure")
            usleep(400_000)
        }
        XCTAssertEqual(sample(m, "hedge_group_active{group=\"azure\",path=\"vpn\"}"), 1, m)
        XCTAssertEqual(sample(m, "hedge_group_failovers_total{group=\"azure\"}"), 1, m)
        let window = sample(m, "hedge_group_last_failover_loss_window_seconds{group=\"azure\"}") ?? -1
        XCTAssertGreaterThan(window, 0, "a measured loss window")
        XCTAssertLessThan(window, 1, "10 ms probes: far below a second, flood or not")
        // The endpoint says on itself what it closed to keep answering.
        XCTAssertGreaterThan(sample(m, "hedge_http_evicted_total") ?? 0, 0, m)

        flood.stop()
        // Accept queue overflows would show as scrapes a SYN retransmission late (a second).
        let kernel = lab.onprem("nstat -az TcpExtListenOverflows TcpExtSyncookiesSent TcpExtTCPDeferAcceptDrop", check: false)
            .split(separator: "\n").dropFirst().map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        let f = flood.counters
        print("hs: lab scrapes under 200 slow clients, seconds: \(times.map { String(format: "%.3f", $0) }.joined(separator: " "));",
              "flood \(f); loss window \(window) s; \(kernel.joined(separator: ", "))")
        XCTAssertGreaterThan(f.closedByServer, 12, "hedge closed tricklers to make room")
    }
}
