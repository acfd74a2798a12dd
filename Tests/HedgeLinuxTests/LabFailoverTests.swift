import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The reference architecture's test in the namespace lab, against the real hedge binary:
/// stream on-prem → Azure at 1,000 packets/s, fail ExpressRoute, keep streaming over the VPN,
/// restore, and fail back after the hold-down without losing a packet.
final class LabFailoverTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("namespace lab failover (hedge binary, veth, nexthop objects, nftables)")
    }

    /// One 1 kHz stream with `action` run `atMs` into it; returns labstream's JSON result.
    func stream(_ lab: Lab, name: String, durationMs: Int, action: String, atMs: Int) -> [String: Any] {
        let (_, out) = lab.bash("""
            lab_stream_recv_start \(name) --until-idle-ms 1500 >/dev/null
            ( sleep \(Double(atMs) / 1000); \(action) ) &
            lab_stream_send --rate 1000 --duration-ms \(durationMs) >/dev/null
            wait
            lab_stream_recv_wait \(name) 15
            """)
        let line = out.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    func failover(signal: String, fail: String, restore: String, tag: String) throws {
        let lab = Lab("t\(tag)")
        lab.writeConfig()
        lab.startHedge()
        XCTAssertTrue(lab.waitSteady(), "hedge did not settle on ExpressRoute:\n\(lab.log)")

        let a = stream(lab, name: "failover", durationMs: 4000, action: fail, atMs: 1500)
        let sent = 4000
        let received = a["received"] as? Int ?? 0
        let lost = a["lost"] as? Int ?? sent
        XCTAssertEqual(a["max_seq"] as? Int, sent - 1, "the stream's last packets arrived (over the VPN): \(a)")
        XCTAssertGreaterThan(received, 3000, "the stream continued after the failure: \(a)")
        XCTAssertLessThan(lost, 1000, "\(a)")
        XCTAssertEqual(lab.kernelPath, "vpn")
        let g = lab.group()
        XCTAssertEqual(g["active"] as? String, "vpn")
        let last = g["last_switch"] as? [String: Any] ?? [:]
        XCTAssertEqual(last["kind"] as? String, "failover")
        XCTAssertTrue((last["reason"] as? String ?? "").contains(signal), "failover names its cause: \(last)")

        // Restore 500 ms in; the hold-down is 2 s: the route moves back mid-stream, losing nothing.
        let b = stream(lab, name: "failback", durationMs: 5000, action: restore, atMs: 500)
        XCTAssertEqual(b["lost"] as? Int, 0, "failback must not lose packets: \(b)")
        XCTAssertEqual(b["received"] as? Int, 5000, "\(b)")
        XCTAssertEqual(lab.kernelPath, "expressroute")
        let back = lab.group()["last_switch"] as? [String: Any] ?? [:]
        XCTAssertEqual(back["kind"] as? String, "failback", "\(back)\n\(lab.log)")
    }

    func testCarrierLossFailsOverAndBack() throws {
        try failover(signal: "carrier", fail: "lab_fail_carrier", restore: "lab_restore_carrier", tag: "c")
    }

    func testFarEndFailureSeenOnlyByTheProbe() throws {
        try failover(signal: "probe", fail: "lab_fail_far", restore: "lab_restore_far", tag: "f")
    }
}
