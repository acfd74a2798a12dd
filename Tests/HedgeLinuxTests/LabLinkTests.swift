import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Both links of a circuit and a VPN (lab/links.sh): er-primary and er-secondary share a priority
/// and carry together through one nexthop group; one failing leaves the other carrying and never
/// touches the VPN; both failing moves the group to the VPN; repairs bring each link back after
/// its hold-down. The failures are the MSEE stand-in dropping its on-prem link's traffic (BFD and
/// BGP see them, the carrier stays up).
final class LabLinkTests: XCTestCase {
    let prefix = "ec"
    var dir: String { "/tmp/hedge-test-\(prefix)" }
    var socketPath: String { dir + "/hedge.sock" }
    var hedge: Process?

    static let config = """
        router-id 192.168.10.1;
        local-as 65010;
        path er-primary {
            priority 10; device er0; gateway 192.168.10.2;
            bgp 192.168.10.2 { remote-as 12076; }
            bfd 192.168.10.2 { interval 20ms; multiplier 3; }
        }
        path er-secondary {
            priority 10; device er1; gateway 192.168.11.2;
            bgp 192.168.11.2 { remote-as 12076; }
            bfd 192.168.11.2 { interval 20ms; multiplier 3; }
        }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; }
        group azure { prefix 10.200.0.0/16; paths er-primary er-secondary vpn; hold-down 1s; }

        """

    override func setUpWithError() throws {
        try requireRoot("the three-path namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "vtysh", install: "frr")
        try requireTool("nft", install: "nftables")
        try requireTool("jq", install: "jq")
        sh("rm -rf \(dir) && mkdir -p \(dir)")
        links("links_up 20 20 3")
    }

    override func tearDown() {
        if let p = hedge {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        hedge = nil
        links("links_status", check: false)
        links("links_down", check: false)
    }

    @discardableResult
    func links(_ script: String, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> (Int32, String) {
        sh("cd \(packageRoot) && export LAB=\(prefix) LAB_PREFIXES=0 && source lab/netns.sh && source lab/links.sh && \(script)",
           check: check, file: file, line: line)
    }

    func onprem(_ cmd: String) -> String { sh("ip netns exec \(prefix)-onprem \(cmd)", check: false).1 }

    func startHedge() {
        try! (Self.config + "control { socket \"\(socketPath)\"; }\n").write(toFile: dir + "/hedge.conf", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", "\(prefix)-onprem", Lab.hedgeBin, "run", "-v", "-c", dir + "/hedge.conf"]
        if !FileManager.default.fileExists(atPath: dir + "/hedge.log") {
            _ = FileManager.default.createFile(atPath: dir + "/hedge.log", contents: nil)
        }
        let log = FileHandle(forWritingAtPath: dir + "/hedge.log")!
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try! p.run()
        hedge = p
        XCTAssertTrue(waitFor(5) { FileManager.default.fileExists(atPath: self.socketPath) }, "hedge did not start:\n\(log)")
    }

    var log: String { (try? String(contentsOfFile: dir + "/hedge.log", encoding: .utf8)) ?? "" }

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

    func status() -> [String: Any] {
        let out = onprem("\(Lab.hedgeBin) status --json -s \(socketPath)")
        let s = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Any] ?? [:]
        return ((s["groups"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "azure" } ?? [:]
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
        startHedge()
        let both = ["er0", "er1"], ids = ["er-primary", "er-secondary"]
        expectUsing(both, inUse: ids, "both links healthy")
        XCTAssertEqual(status()["ecmp"] as? Bool, true)
        let text = onprem("\(Lab.hedgeBin) status -s \(socketPath)")
        XCTAssertTrue(text.contains("er-primary + er-secondary (ECMP)"), text)
        // hedge starts on the VPN (BGP and BFD come up after it): what counts is what follows.
        let mark = log.count
        var after: String { String(log.dropFirst(mark)) }

        // Primary fails: the secondary alone, the VPN untouched.
        links("links_fail 1")
        expectUsing(["er1"], inUse: ["er-secondary"], "primary failed")
        XCTAssertFalse(after.contains("-> vpn"), "no switch to the VPN on one link's failure\n\(log)")
        XCTAssertFalse(routeDevices().contains("vpn0"))
        links("links_restore 1")
        expectUsing(both, inUse: ids, "primary repaired")

        // Secondary fails likewise.
        links("links_fail 2")
        expectUsing(["er0"], inUse: ["er-primary"], "secondary failed")
        XCTAssertFalse(after.contains("-> vpn"), "no switch to the VPN on one link's failure\n\(log)")
        links("links_restore 2")
        expectUsing(both, inUse: ids, "secondary repaired")

        // Both fail: the VPN; both repaired: both again.
        links("links_fail 1 && links_fail 2")
        expectUsing(["vpn0"], inUse: ["vpn"], "both links failed")
        links("links_restore 1 && links_restore 2")
        expectUsing(both, inUse: ids, "both links repaired")
        XCTAssertEqual(after.components(separatedBy: "-> vpn:").count - 1, 1, "one switch to the VPN in all\n\(log)")
    }

    /// A restart finds the nexthop group in the kernel and adopts both links from it.
    func testRestartAdoptsBothLinks() {
        startHedge()
        expectUsing(["er0", "er1"], inUse: ["er-primary", "er-secondary"], "both links healthy")
        kill(hedge!.processIdentifier, SIGTERM)
        hedge!.waitUntilExit()
        hedge = nil
        XCTAssertEqual(groupDevices(), ["er0", "er1"], "the routes stay across a restart")
        let mark = log.count
        startHedge()
        XCTAssertTrue(waitFor(5) { String(self.log.dropFirst(mark)).contains("adopting er-primary + er-secondary from the kernel") }, log)
        expectUsing(["er0", "er1"], inUse: ["er-primary", "er-secondary"], "after the restart")
        let after = String(log.dropFirst(mark))
        XCTAssertFalse(after.contains("group azure: initial"), after)
    }
}
