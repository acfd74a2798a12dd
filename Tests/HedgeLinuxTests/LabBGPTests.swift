import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// hedge's own BGP session with an MSEE stand-in (FRR bgpd + bfdd at AS 12076), run as the agent:
/// the prefixes it learns form the failover group, BFD Down resets BGP and moves the routes at once.
final class LabBGPTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge BGP against FRR in the namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", install: "frr")
    }

    /// No `prefix` in the group: it is what the BGP session learns.
    func config(bfd: Bool, hold: Int = 180, md5: String? = nil) -> String {
        """
        router-id 192.168.10.1;
        local-as 65010;
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            announce 172.16.0.0/24;
            bgp 192.168.10.2 { remote-as 12076; hold-time \(hold); connect-retry 1s; \(md5.map { "md5-key-file \"\($0)\";" } ?? "") }
            \(bfd ? "bfd 192.168.10.2 { interval 10ms; multiplier 3; }" : "")
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }
        group azure { paths expressroute vpn; hold-down 1s; }
        """
    }

    func signal(_ lab: Lab, _ kind: String) -> String? {
        ((lab.path("expressroute")["signals"] as? [[String: Any]]) ?? []).first { $0["kind"] as? String == kind }?["state"] as? String
    }

    func bgp(_ lab: Lab) -> [String: Any] { lab.path("expressroute")["bgp"] as? [String: Any] ?? [:] }

    /// The MSEE's own CLI: is hedge's announcement in its BGP table?
    func edgeHas(_ lab: Lab, _ prefix: String) -> Bool {
        let out = sh("vtysh -N \(lab.prefix)-edge -c 'show ip bgp \(prefix)'", check: false).1
        return out.contains("65010") && !out.contains("Network not in table")
    }

    func established(_ lab: Lab) -> Bool {
        bgp(lab)["state"] as? String == "Established"
            && (lab.group()["prefixes"] as? [String] ?? []).contains("10.200.0.0/16")
    }

    /// FRR issues 2889 and 22097: at BFD Down the routes move at once and BGP does not stay up, with a
    /// 180 s hold timer.
    func testBFDDownMovesRoutesAndResetsBGP() throws {
        let lab = Lab("tgb")
        lab.writeConfig(text: config(bfd: true))
        lab.bash("anchors_edge_start bgp-bfd 10 10 3 180 60 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.established(lab) && self.signal(lab, "bfd") == "up" }, "BGP + BFD up:\n\(lab.log)")
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertTrue(waitFor(10) { self.edgeHas(lab, "172.16.0.0/24") }, "the MSEE received hedge's prefix")
        let route = lab.onprem("ip route show 10.200.0.0/16")
        XCTAssertTrue(route.contains("proto 88") && route.contains("nhid"), "learned route installed through the nexthop object: \(route)")

        lab.bash("lab_fail_far")
        let t0 = Date()
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "vpn" }, "routes moved at BFD Down:\n\(lab.log)")
        XCTAssertTrue(waitFor(2) { self.bgp(lab)["state"] as? String != "Established" },
                      "BGP left Established at BFD Down, not at the 180 s hold timer:\n\(lab.log)")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
        // The VNet is still there: its prefix stays, stale, and now goes over the VPN.
        XCTAssertTrue((lab.group()["prefixes"] as? [String] ?? []).contains("10.200.0.0/16"))
        XCTAssertEqual(bgp(lab)["prefixes_stale"] as? Int, 1)
        XCTAssertTrue(lab.onprem("ip route show 10.200.0.0/16").contains("proto 88"))

        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(20) { self.established(lab) && self.signal(lab, "bfd") == "up" }, "BGP + BFD back:\n\(lab.log)")
        XCTAssertTrue(lab.waitSteady(seconds: 15), "failback after the hold-down:\n\(lab.log)")
        // The peer's new UPDATE confirms the stale route (FRR sends it a moment after Established).
        XCTAssertTrue(waitFor(10) { self.bgp(lab)["prefixes_stale"] as? Int == 0 }, "\(self.bgp(lab))")
    }

    /// BGP alone (no BFD) with a 3 s hold timer: the hold timer's expiry fails over.
    func testHoldTimerFailsOver() throws {
        let lab = Lab("tgh")
        lab.writeConfig(text: config(bfd: false, hold: 3))
        lab.bash("anchors_edge_start bgp - - - 3 1 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.established(lab) }, lab.log)
        XCTAssertTrue(lab.waitSteady(), lab.log)
        XCTAssertEqual(bgp(lab)["hold_ms"] as? Int, 3000)
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(6) { lab.kernelPath == "vpn" }, lab.log)
        XCTAssertTrue(lab.path("expressroute")["reason"] as? String ?? "" != "", "\(lab.path("expressroute"))")
        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(20) { self.established(lab) }, lab.log)
        XCTAssertTrue(lab.waitSteady(seconds: 15), lab.log)
    }

    /// A restart finds the learned routes in the kernel and changes nothing; the session confirms them.
    func testRestartKeepsLearnedRoutes() throws {
        let lab = Lab("tgr")
        lab.writeConfig(text: config(bfd: false))
        lab.bash("anchors_edge_start bgp - - - 9 3 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.established(lab) }, lab.log)
        XCTAssertTrue(lab.waitSteady(), lab.log)
        lab.stopHedge()
        lab.bash("ip netns exec tgr-onprem ip monitor route nexthop > \(lab.dir)/monitor.txt 2>&1 & echo $! > \(lab.dir)/monitor.pid")
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.established(lab) }, lab.log)
        usleep(500_000)
        lab.bash("kill $(cat \(lab.dir)/monitor.pid)")
        let seen = (try? String(contentsOfFile: lab.dir + "/monitor.txt", encoding: .utf8)) ?? ""
        XCTAssertFalse(seen.contains("proto 88") || seen.contains("id 4800"), "no change to hedge's routes across the restart:\n\(seen)")
        XCTAssertEqual(lab.kernelChanges, 0)
    }

    /// TCP MD5 (RFC 2385) with the key from a 0600 file; a wrong key never establishes.
    func testMD5() throws {
        let lab = Lab("tgm")
        let key = lab.dir + "/er.key"
        sh("printf 'azure-er-secret\\n' > \(key) && chmod 600 \(key)")
        lab.writeConfig(text: config(bfd: false, hold: 9, md5: key))
        lab.bash("anchors_edge_start bgp - - - 9 3 azure-er-secret >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(20) { self.established(lab) }, lab.log)
        XCTAssertTrue(waitFor(10) { self.edgeHas(lab, "172.16.0.0/24") })
        lab.stopHedge()
        sh("printf 'wrong\\n' > \(key)")
        lab.bash("anchors_edge_start bgp - - - 9 3 azure-er-secret >/dev/null 2>&1")
        lab.startHedge()
        sleep(4)
        XCTAssertNotEqual(bgp(lab)["state"] as? String, "Established", lab.log)
    }

    /// A key file others can read is refused at start, naming the file.
    func testKeyFileModeRefused() throws {
        let lab = Lab("tgk")
        let key = lab.dir + "/er.key"
        sh("printf 'x\\n' > \(key) && chmod 644 \(key)")
        lab.writeConfig(text: config(bfd: false, md5: key))
        let (rc, out) = sh("ip netns exec tgk-onprem \(Lab.hedgeBin) run -c \(lab.configPath)", check: false)
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(out.contains(key) && out.contains("0644"), out)
    }
}
