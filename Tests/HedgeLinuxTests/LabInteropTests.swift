import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The interop lab: `hedge run` against each MSEE stand-in of lab/msee.sh (FRR bgpd + bfdd, BIRD 2
/// with BFD, GoBGP with BGP only) at AS 12076, with and without TCP MD5. For each: the session comes
/// up, prefixes flow both ways (checked on the peer's own CLI), BFD comes up where the peer has it,
/// a far-end failure (nft drop on the edge side, carrier up on-prem) fails over, restoring fails back.
final class LabInteropTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge against FRR, BIRD and GoBGP as the MSEE in the namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/sbin/bird", "/usr/bin/gobgpd", install: "frr bird2 gobgpd")
    }

    func config(bfd: Bool, md5Key: String?) -> String {
        """
        router-id 192.168.10.1;
        local-as 65010;
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            announce 172.16.0.0/24;
            bgp 192.168.10.2 { remote-as 12076; hold-time 9; connect-retry 1s; \(md5Key.map { "md5-key-file \"\($0)\";" } ?? "") }
            \(bfd ? "bfd 192.168.10.2 { interval 50ms; multiplier 3; }" : "")
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }
        group azure { paths expressroute vpn; hold-down 1s; }
        """
    }

    func pathJSON(_ lab: Lab) -> [String: Any] { lab.path("expressroute") }
    func bgpState(_ lab: Lab) -> String? { (pathJSON(lab)["bgp"] as? [String: Any])?["state"] as? String }
    func signal(_ lab: Lab, _ kind: String) -> String? {
        ((pathJSON(lab)["signals"] as? [[String: Any]]) ?? []).first { $0["kind"] as? String == kind }?["state"] as? String
    }

    func interop(_ peer: String, tag: String, md5: Bool) {
        let lab = Lab("ti\(tag)")
        let hasBFD = peer != "gobgp"
        var keyPath: String?
        var mseeArgs = hasBFD ? " --bfd 50 50 3" : ""
        if md5 {
            keyPath = lab.dir + "/er.key"
            sh("printf 'azure-er-key\\n' > \(keyPath!) && chmod 600 \(keyPath!)")
            mseeArgs += " --md5 azure-er-key"
        }
        lab.writeConfig(text: config(bfd: hasBFD, md5Key: keyPath))
        lab.bash("msee_start \(peer)\(mseeArgs) >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(30) {
            self.bgpState(lab) == "Established" && (lab.group()["prefixes"] as? [String] ?? []) == ["10.200.0.0/16"]
        }, "\(peer): session up and the VNet learned:\n\(lab.log)\n\(lab.bash("msee_status", check: false).1)")
        XCTAssertTrue(waitFor(10) { lab.bash("msee_established && msee_received 172.16.0.0/24", check: false).0 == 0 },
                      "\(peer)'s CLI shows hedge's prefix:\n\(lab.bash("msee_status", check: false).1)")
        if hasBFD {
            XCTAssertTrue(waitFor(10) { self.signal(lab, "bfd") == "up" && lab.bash("msee_bfd_up", check: false).0 == 0 },
                          "\(peer): BFD up on both sides:\n\(lab.log)")
        }
        XCTAssertTrue(lab.waitSteady(seconds: 15), lab.log)

        lab.bash("lab_fail_far")
        // BFD (150 ms) or, for GoBGP, the 9 s hold timer.
        XCTAssertTrue(waitFor(hasBFD ? 3 : 15) { lab.kernelPath == "vpn" }, "\(peer): failover:\n\(lab.log)")
        XCTAssertTrue((lab.group()["prefixes"] as? [String] ?? []) == ["10.200.0.0/16"], "the VNet stays, over the VPN")
        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(30) { self.bgpState(lab) == "Established" }, "\(peer): session back:\n\(lab.log)")
        XCTAssertTrue(lab.waitSteady(seconds: 15), "\(peer): failback after the hold-down:\n\(lab.log)")
        lab.bash("msee_stop", check: false)
    }

    func testFRR() { interop("frr", tag: "f", md5: false) }
    func testFRRWithMD5() { interop("frr", tag: "fm", md5: true) }
    func testBIRD() { interop("bird", tag: "b", md5: false) }
    func testBIRDWithMD5() { interop("bird", tag: "bm", md5: true) }
    func testGoBGP() { interop("gobgp", tag: "g", md5: false) }
    func testGoBGPWithMD5() { interop("gobgp", tag: "gm", md5: true) }
}
