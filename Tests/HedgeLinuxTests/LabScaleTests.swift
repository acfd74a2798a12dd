import Foundation
import XCTest
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// Azure's table sizes against the real kernel: the MSEE stand-in (FRR, AS 12076, BFD 10 ms × 3)
/// announces 10,000 /24s, as private peering carries with ExpressRoute Premium. hedge learns and
/// installs them in slices between which its loop keeps serving BFD and the control socket.
///
/// These run the router build (`board/build x86_64`, the Embedded binary a router runs), not the
/// tests' debug build: a debug build's unoptimised code takes many times longer per route, and the
/// timing these tests hold to is the product's. `HEDGE_BIN` overrides it.
final class LabScaleTests: XCTestCase {
    nonisolated(unsafe) static var routerBuild: String?

    override func setUpWithError() throws {
        try requireRoot("10,000 learned prefixes in the namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", install: "frr")
        if let bin = ProcessInfo.processInfo.environment["HEDGE_BIN"] { Self.routerBuild = bin }
        if Self.routerBuild == nil {
            // Incremental: a no-op when CI's embedded stage built it already.
            let (rc, out) = sh("cd \(packageRoot) && board/build x86_64 2>/dev/null | tail -1", check: false)
            let bin = out.trimmingCharacters(in: .whitespacesAndNewlines)
            guard rc == 0, FileManager.default.isExecutableFile(atPath: bin) else {
                XCTFail("board/build x86_64 failed (\(rc)): \(out)"); return
            }
            Self.routerBuild = bin
        }
    }

    func lab(_ name: String, prefixes: Int = 0) -> Lab {
        let l = Lab(name, prefixes: prefixes)
        l.binary = Self.routerBuild
        return l
    }

    func config(maxPrefix: Int? = nil, announce: String = "announce 172.16.0.0/24;", azure: String = "") -> String {
        """
        router-id 192.168.10.1;
        local-as 65010;
        \(azure)
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            \(announce)
            bgp 192.168.10.2 { remote-as 12076; connect-retry 1s; \(maxPrefix.map { "max-prefix \($0);" } ?? "") }
            bfd 192.168.10.2 { interval 10ms; min-rx 10ms; multiplier 3; }
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }
        group azure { paths expressroute vpn; hold-down 1s; }
        """
    }

    func installed(_ lab: Lab) -> Int {
        Int(lab.onprem("sh -c 'ip route show proto 88 | wc -l'").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// One control-socket status request, timed from connect to the last byte of the answer.
    func timedStatus(_ lab: Lab) -> (ms: Double, ok: Bool) {
        let t0 = Date()
        let ok = (try? ControlClient.request(path: lab.socketPath, "status json"))?.contains("\"groups\"") ?? false
        return (Date().timeIntervalSince(t0) * 1000, ok)
    }

    func testTenThousandPrefixesLearnedWhileBFDAndStatusKeepTimeThenOneSwitchAndAnUnchangedRestart() throws {
        let n = 10_000
        let lab = lab("tsc", prefixes: n)
        lab.writeConfig(text: config())
        lab.bash("anchors_edge_start bgp-bfd 10 10 3 - - >/dev/null 2>&1")
        lab.startHedge()

        // Poll status over the control socket while the table goes in: every answer within 100 ms.
        var slowest = 0.0, answered = 0, failed = 0
        var learned = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let (ms, ok) = timedStatus(lab)
            if ok { answered += 1; slowest = max(slowest, ms) } else { failed += 1 }
            if installed(lab) >= n + 1 { learned = true; break }   // + the probe's pinned host route
            usleep(10_000)
        }
        XCTAssertTrue(learned, "\(installed(lab)) routes installed:\n\(lab.log.suffix(3000))")
        XCTAssertEqual(failed, 0)
        XCTAssertGreaterThan(answered, 5)
        XCTAssertLessThan(slowest, 100, "status answered within 100 ms while \(n) routes went in")
        XCTAssertEqual(lab.group()["prefix_count"] as? Int, n + 1, "the 10,000 and the VNet's own /16")
        XCTAssertEqual((lab.group()["prefixes"] as? [String])?.count, 64, "status lists a few, counts all")

        // BFD stayed Up from the first route installed to the last (the log has each kernel op).
        let log = lab.log
        let lines = log.split(separator: "\n")
        let first = try XCTUnwrap(lines.firstIndex { $0.contains("kernel: add route 10.1") })
        let last = try XCTUnwrap(lines.lastIndex { $0.contains("kernel: add route 10.1") })
        let downs = lines[first...last].filter { $0.contains("bfd 192.168.10.2: Up -> ") }
        XCTAssertEqual(downs, [], "BFD left Up while the table went in")
        XCTAssertFalse(log.contains("overrun"), "no netlink overrun while \(n) routes went in")

        // One nexthop replace moves them all: a far-end failure.
        XCTAssertTrue(lab.waitSteady(seconds: 15), lab.log.suffix(3000).description)
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "vpn" }, "the last prefix moved to the VPN:\n\(lab.log.suffix(3000))")
        XCTAssertEqual(installed(lab), n + 1, "every route stays (stale), now through the VPN's nexthop")
        lab.bash("lab_restore_far")
        XCTAssertTrue(lab.waitSteady(seconds: 20), "failback:\n\(lab.log.suffix(3000))")

        // An unchanged restart re-dumps the 10,000 and changes nothing.
        lab.stopHedge()
        lab.bash("ip netns exec tsc-onprem ip monitor route nexthop > \(lab.dir)/monitor.txt 2>&1 & echo $! > \(lab.dir)/monitor.pid")
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(seconds: 20), lab.log.suffix(3000).description)
        usleep(1_500_000)   // the session's UPDATEs confirm the 10,000 (FRR sends them about a second in)
        lab.bash("kill $(cat \(lab.dir)/monitor.pid)")
        let seen = (try? String(contentsOfFile: lab.dir + "/monitor.txt", encoding: .utf8)) ?? ""
        XCTAssertFalse(seen.contains("proto 88") || seen.contains("id 4800"),
                       "no change to hedge's routes across the restart:\n\(seen.prefix(2000))")
        XCTAssertEqual(lab.kernelChanges, 0)
    }

    /// Azure's own limit on what hedge announces over private peering: 4,000, or 10,000 with Premium.
    /// Past it Azure drops the session; hedge announces the first N and says so.
    func testAnnouncementsStopAtAzuresLimit() throws {
        for (limit, azure) in [(4000, ""), (10_000, "azure { private-peering-limit 10000; }")] {
            let lab = lab("tal")
            let announce = (0...limit).map { "announce 172.\(16 + $0 / 65536).\(($0 / 256) % 256).\($0 % 256)/32;" }
                .joined(separator: " ")
            lab.writeConfig(text: config(announce: announce, azure: azure))
            lab.bash("anchors_edge_start bgp-bfd 10 10 3 - - >/dev/null 2>&1")
            lab.startHedge()
            XCTAssertTrue(waitFor(30) {
                sh("vtysh -N tal-edge -c 'show bgp neighbors 192.168.10.1 json'", check: false).1.contains("\"acceptedPrefixCounter\":\(limit)")
            }, "the MSEE got exactly \(limit) of \(limit + 1):\n\(lab.log.suffix(2000))")
            XCTAssertTrue(lab.log.contains("\(limit + 1) prefixes to announce but Azure accepts \(limit)"), lab.log.suffix(2000).description)
            let bgp = lab.path("expressroute")["bgp"] as? [String: Any] ?? [:]
            XCTAssertEqual(bgp["prefixes_announced"] as? Int, limit)
            XCTAssertEqual(bgp["prefixes_announce_configured"] as? Int, limit + 1)
        }
    }

    /// hedge's own max-prefix on what the MSEE announces (RFC 4486): one prefix over the limit ends the
    /// session with Cease / Maximum Number of Prefixes Reached, and the cause is reported as such.
    func testMaxPrefixOneOverTheLimitEndsTheSession() throws {
        for limit in [4000, 10_000] {
            let lab = lab("tmx", prefixes: limit + 1)
            lab.writeConfig(text: config(maxPrefix: limit))
            lab.bash("anchors_edge_start bgp-bfd 10 10 3 - - >/dev/null 2>&1")
            lab.startHedge()
            // The edge announces limit + 1 /24s and the VNet's /16: past the limit either way.
            XCTAssertTrue(waitFor(30) { lab.log.contains("maximum prefixes reached: IPv4 unicast over \(limit)") },
                          "session ended past \(limit) prefixes:\n\(lab.log.suffix(2000))")
            let bgp = lab.path("expressroute")["bgp"] as? [String: Any] ?? [:]
            XCTAssertTrue((bgp["last_down"] as? String ?? "").hasPrefix("our prefix limit"), "\(bgp)")
            // On the wire: Cease / Maximum Number of Prefixes Reached (RFC 4486), as the MSEE logs it.
            let edgeLog = sh("cat /run/hedge-lab/tmx/anchors-tmx-edge/bgpd.log", check: false).1
            XCTAssertTrue(edgeLog.contains("received from neighbor 192.168.10.1 6/1"), edgeLog.suffix(1500).description)
        }
    }
}
