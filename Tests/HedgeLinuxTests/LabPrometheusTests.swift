import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus (Debian's package) scrapes hedge's /metrics in the lab, with the shipped
/// alert rules loaded; ExpressRoute fails and comes back, and Prometheus's own API must show it.
final class LabPrometheusTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("Prometheus scraping hedge in the namespace lab")
        try requireTool("prometheus", install: "prometheus")
    }

    /// PromQL through Prometheus's HTTP API, run inside the lab's on-prem namespace.
    func query(_ lab: Lab, _ promql: String) -> [[String: Any]] {
        let out = lab.onprem("curl -s --max-time 3 http://127.0.0.1:9091/api/v1/query --data-urlencode 'query=\(promql)'", check: false)
        let json = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
        return ((json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
    }

    /// The value of a single-series query, or nil.
    func value(_ lab: Lab, _ promql: String) -> Double? {
        guard let v = query(lab, promql).first?["value"] as? [Any], v.count == 2, let s = v[1] as? String else { return nil }
        return Double(s)
    }

    func alerts(_ lab: Lab) -> [String: String] {
        let out = lab.onprem("curl -s --max-time 3 http://127.0.0.1:9091/api/v1/alerts", check: false)
        let json = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
        let list = ((json["data"] as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
        var out2: [String: String] = [:]
        for a in list {
            if let n = (a["labels"] as? [String: Any])?["alertname"] as? String { out2[n] = a["state"] as? String ?? "?" }
        }
        return out2
    }

    func testPrometheusSeesFailoverAndFailback() throws {
        let lab = Lab("tp")
        lab.writeConfig()
        try (String(contentsOfFile: lab.configPath, encoding: .utf8) + "\nreporting { http 127.0.0.1 port 9180; }\n")
            .write(toFile: lab.configPath, atomically: true, encoding: .utf8)
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), lab.log)

        let prom = lab.dir + "/prometheus"
        let rules = packageRoot + "/deploy/prometheus/alerts.yml"
        try """
            global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms }
            rule_files: ["\(rules)"]
            scrape_configs:
              - job_name: hedge
                static_configs: [{ targets: ["127.0.0.1:9180"] }]
            """.write(toFile: lab.dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        sh("""
            mkdir -p \(prom) && ip netns exec tp-onprem prometheus --config.file=\(lab.dir)/prometheus.yml \
              --storage.tsdb.path=\(prom) --web.listen-address=127.0.0.1:9091 >\(lab.dir)/prometheus.log 2>&1 &
            echo $! >\(lab.dir)/prometheus.pid
            """)
        defer { sh("kill $(cat \(lab.dir)/prometheus.pid); sleep 0.5", check: false) }

        XCTAssertTrue(waitFor(30) { self.value(lab, "up{job=\"hedge\"}") == 1 },
                      "Prometheus scrapes hedge:\n" + ((try? String(contentsOfFile: lab.dir + "/prometheus.log", encoding: .utf8)) ?? ""))
        XCTAssertTrue(waitFor(10) { self.value(lab, "hedge_group_active{group=\"azure\",path=\"expressroute\"}") == 1 })
        XCTAssertEqual(value(lab, "hedge_path_up{path=\"vpn\"}"), 1)
        XCTAssertEqual(value(lab, "sum(hedge_group_failovers_total)"), 0)

        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(5) { lab.kernelPath == "vpn" }, lab.log)
        XCTAssertTrue(waitFor(10) { self.value(lab, "hedge_group_active{group=\"azure\",path=\"vpn\"}") == 1 }, "Prometheus sees traffic on the VPN")
        XCTAssertEqual(value(lab, "hedge_group_failovers_total{group=\"azure\"}"), 1)
        XCTAssertEqual(value(lab, "hedge_path_up{path=\"expressroute\"}"), 0)
        let window = value(lab, "hedge_group_last_failover_loss_window_seconds{group=\"azure\"}") ?? -1
        XCTAssertGreaterThan(window, 0, "a measured loss window")
        XCTAssertLessThan(window, 1, "10 ms probes: far below a second")
        let at = value(lab, "hedge_group_last_failover_timestamp_seconds{group=\"azure\"}") ?? 0
        XCTAssertEqual(at, Date().timeIntervalSince1970, accuracy: 15)
        XCTAssertTrue(waitFor(10) { self.alerts(lab)["HedgeExpressRouteDown"] != nil }, "the ExpressRoute alert: \(alerts(lab))")

        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(10) { lab.kernelPath == "expressroute" }, lab.log)
        XCTAssertTrue(waitFor(10) { self.value(lab, "hedge_group_failbacks_total{group=\"azure\"}") == 1 }, "Prometheus sees the failback")
        XCTAssertTrue(waitFor(10) { self.value(lab, "hedge_group_active{group=\"azure\",path=\"expressroute\"}") == 1 })
        XCTAssertTrue(waitFor(10) { self.alerts(lab)["HedgeExpressRouteDown"] == nil }, "the alert resolves: \(alerts(lab))")
    }
}
