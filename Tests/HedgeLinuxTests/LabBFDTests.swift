import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// hedge's single-hop BFD against real peers (FRR bfdd and BIRD 2) playing the Microsoft edge.
final class LabBFDTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("BFD interop with FRR and BIRD in the namespace lab")
        try requireTool("/usr/lib/frr/bfdd", "/usr/sbin/bird", install: "frr bird2")
    }

    let config = """
        router-id 192.168.10.1;
        local-as 65010;
        path expressroute { priority 10; device er0; gateway 192.168.10.2; bfd 192.168.10.2 { interval 10ms; multiplier 3; } }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        """

    func bfdState(_ lab: Lab) -> String? {
        ((lab.path("expressroute")["signals"] as? [[String: Any]]) ?? []).first { $0["kind"] as? String == "bfd" }?["state"] as? String
    }

    func interop(_ daemon: String, tag: String) throws {
        let lab = Lab("tb\(tag)")
        lab.writeConfig(text: config)
        lab.bash("lab_edge_bfd_start \(daemon) 10 3 >/dev/null 2>&1")   // daemons must not hold our pipe
        lab.startHedge()
        XCTAssertTrue(waitFor(10) { self.bfdState(lab) == "up" && lab.bash("lab_edge_bfd_state").1.contains("up") },
                      "BFD with \(daemon) came up on both sides:\n\(lab.log)")
        XCTAssertTrue(lab.waitSteady(), lab.log)

        // The circuit fails at the far end; carrier stays up: BFD Down takes the path down at once.
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(2) { lab.kernelPath == "vpn" }, lab.log)
        let last = lab.group()["last_switch"] as? [String: Any] ?? [:]
        XCTAssertTrue((last["reason"] as? String ?? "").contains("Control Detection Time Expired"), "\(last)")

        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(10) { self.bfdState(lab) == "up" }, "BFD comes back after the failure:\n\(lab.log)")
        XCTAssertTrue(lab.waitSteady(), "failback after the hold-down:\n\(lab.log)")
    }

    func testWithFRR() throws { try interop("frr", tag: "f") }
    func testWithBIRD() throws { try interop("bird", tag: "b") }

    /// FRR issue 18416: after one-way loss ends, the session must come back instead of staying Down.
    func testSessionReturnsAfterOneWayLoss() throws {
        let lab = Lab("tbo")
        lab.writeConfig(text: config)
        lab.bash("lab_edge_bfd_start frr 10 3 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(10) { self.bfdState(lab) == "up" }, lab.log)
        // Only edge → on-prem is lost: hedge stops hearing the edge, the edge still hears hedge.
        lab.bash("ip netns exec tbo-edge nft add table inet oneway && ip netns exec tbo-edge nft add chain inet oneway out '{ type filter hook output priority 0; }' && ip netns exec tbo-edge nft add rule inet oneway out udp dport 3784 drop")
        XCTAssertTrue(waitFor(3) { self.bfdState(lab) == "down" }, lab.log)
        lab.bash("ip netns exec tbo-edge nft delete table inet oneway")
        XCTAssertTrue(waitFor(10) { self.bfdState(lab) == "up" && lab.bash("lab_edge_bfd_state").1.contains("up") },
                      "both sides Up again once the loss ends:\n\(lab.log)")
    }
}
