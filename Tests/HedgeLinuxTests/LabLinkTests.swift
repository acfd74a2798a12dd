import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Both links of a circuit and a VPN (lab/netns.sh + lab/link2.sh): er-primary and er-secondary
/// share a priority and carry together through one nexthop group; one failing leaves the other
/// carrying and never touches the VPN; both failing moves the group to the VPN; repairs bring each
/// link back after its hold-down. The failures are an MSEE stand-in dropping its on-prem link's
/// traffic (BFD and BGP see them, the carrier stays up).
final class LabLinkTests: XCTestCase {
    var lab: Lab!

    static let config = """
        router-id 192.168.10.1;
        local-as 65010;
        path er-primary {
            priority 10; device er0; gateway 192.168.10.2;
            bgp 192.168.10.2 { remote-as 12076; connect-retry 1s; }
            bfd 192.168.10.2 { interval 20ms; multiplier 3; }
        }
        path er-secondary {
            priority 10; device er1; gateway 192.168.11.2;
            bgp 192.168.11.2 { remote-as 12076; connect-retry 1s; }
            bfd 192.168.11.2 { interval 20ms; multiplier 3; }
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; }
        group azure { prefix 10.200.0.0/16; paths er-primary er-secondary vpn; hold-down 1s; }
        """

    override func setUpWithError() throws {
        try requireRoot("the two-link namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "vtysh", install: "frr")
        try requireTool("nft", install: "nftables")
        lab = Lab("tl2")
        // the second link, both MSEE stand-ins with BFD at the test's short timers
        lab.bash("link2_up && link2_msee_start 20 20 3")
        lab.writeConfig(text: Self.config)
    }

    override func tearDown() {
        lab?.stopHedge()
        lab?.bash("link2_msee_status", check: false)
        lab = nil   // lab_down
    }

    /// MSEE N's far end fails (1 primary, 2 secondary) or is repaired.
    func fail(_ n: Int, file: StaticString = #filePath, line: UInt = #line) { lab.bash("link2_fail_far er\(n - 1)", file: file, line: line) }
    func restore(_ n: Int, file: StaticString = #filePath, line: UInt = #line) { lab.bash("link2_restore_far er\(n - 1)", file: file, line: line) }

    func onprem(_ cmd: String) -> String { lab.onprem(cmd, check: false) }
    var log: String { lab.log }
    func status() -> [String: Any] { lab.group() }

    /// The devices the group's nexthop group lists, from `ip -j nexthop` (sorted).
    func groupDevices() -> [String] {
        guard let all = try? JSONSerialization.jsonObject(with: Data(onprem("ip -j nexthop").utf8)) as? [[String: Any]] else { return [] }
        var dev: [Int: String] = [:]
        for n in all { if let id = n["id"] as? Int, let d = n["dev"] as? String { dev[id] = d } }
        guard let g = all.first(where: { $0["id"] as? Int == 4800 }), let members = g["group"] as? [[String: Any]] else { return [] }
        return members.compactMap { ($0["id"] as? Int).flatMap { dev[$0] } }.sorted()
    }

    /// The devices `ip -j route` shows for the VNet: a multipath route lists its hops.
    func routeDevices() -> [String] {
        guard let rs = try? JSONSerialization.jsonObject(with: Data(onprem("ip -j route show 10.200.0.0/16").utf8)) as? [[String: Any]],
              let r = rs.first else { return [] }
        if let hops = r["nexthops"] as? [[String: Any]] { return hops.compactMap { $0["dev"] as? String }.sorted() }
        return (r["dev"] as? String).map { [$0] } ?? []
    }

    /// Waits until the group uses exactly `devices` (kernel nexthop group, route and hedge's status agree).
    func expectUsing(_ devices: [String], inUse: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let ok = waitFor(10) {
            self.groupDevices() == devices && self.routeDevices() == devices
                && (self.status()["in_use"] as? [String]) == inUse
        }
        XCTAssertTrue(ok, "\(what): nexthop group \(groupDevices()), route \(routeDevices()), in use \(status()["in_use"] ?? "-")\n\(log)",
                      file: file, line: line)
    }

    func testBothLinksCarryOneFailingLeavesTheOtherBothFailingMoveToTheVPN() {
        lab.startHedge()
        let both = ["er0", "er1"], ids = ["er-primary", "er-secondary"]
        expectUsing(both, inUse: ids, "both links healthy")
        XCTAssertEqual(status()["ecmp"] as? Bool, true)
        let text = onprem("\(Lab.hedgeBin) status -s \(lab.socketPath)")
        XCTAssertTrue(text.contains("er-primary + er-secondary (ECMP)"), text)
        // hedge starts on the VPN (BGP and BFD come up after it): what counts is what follows.
        let mark = log.count
        var after: String { String(log.dropFirst(mark)) }

        // Primary fails: the secondary alone, the VPN untouched.
        fail(1)
        expectUsing(["er1"], inUse: ["er-secondary"], "primary failed")
        XCTAssertFalse(after.contains("-> vpn"), "no switch to the VPN on one link's failure\n\(log)")
        XCTAssertFalse(routeDevices().contains("vpn0"))
        restore(1)
        expectUsing(both, inUse: ids, "primary repaired")

        // Secondary fails likewise.
        fail(2)
        expectUsing(["er0"], inUse: ["er-primary"], "secondary failed")
        XCTAssertFalse(after.contains("-> vpn"), "no switch to the VPN on one link's failure\n\(log)")
        restore(2)
        expectUsing(both, inUse: ids, "secondary repaired")

        // Both fail: the VPN; both repaired: both again.
        fail(1); fail(2)
        expectUsing(["vpn0"], inUse: ["vpn"], "both links failed")
        restore(1); restore(2)
        expectUsing(both, inUse: ids, "both links repaired")
        XCTAssertEqual(after.components(separatedBy: "-> vpn:").count - 1, 1, "one switch to the VPN in all\n\(log)")
    }

    /// A restart finds the nexthop group in the kernel and adopts both links from it.
    func testRestartAdoptsBothLinks() {
        lab.startHedge()
        expectUsing(["er0", "er1"], inUse: ["er-primary", "er-secondary"], "both links healthy")
        lab.stopHedge()
        XCTAssertEqual(groupDevices(), ["er0", "er1"], "the routes stay across a restart")
        lab.startHedge()   // a fresh log: all of it is the second run's
        XCTAssertTrue(waitFor(5) { self.log.contains("adopting er-primary + er-secondary from the kernel") }, log)
        expectUsing(["er0", "er1"], inUse: ["er-primary", "er-secondary"], "after the restart")
        XCTAssertFalse(log.contains("group azure: initial"), log)
    }
}
