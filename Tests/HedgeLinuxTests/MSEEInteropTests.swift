import Foundation
import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux
#if canImport(Glibc)
import Glibc
#endif

/// hedge's BGP runner in the lab's on-prem namespace (er0 192.168.10.1, AS 65010) against the MSEE
/// stand-ins of lab/msee.sh (192.168.10.2, AS 12076): FRR, BIRD 2 and GoBGP, each checked through
/// its own CLI. hedge announces 172.16.0.0/24 and must receive the VNet's 10.200.0.0/16.
///
/// MSEE_PCAP_DIR=<dir> in the environment also records each session (tcpdump in the edge
/// namespace, TCP port 179) to <dir>/<test>.pcap; the peer-sent bytes of BGPPeerGoldenTests came
/// from there.
final class MSEEInteropTests: XCTestCase {
    static let msee = IPAddress("192.168.10.2")!
    static let onprem = IPAddress("192.168.10.1")!
    static let vnet = IPPrefix("10.200.0.0/16")!
    static let lan = "172.16.0.0/24"

    var lab: Lab!
    var ns: EnteredNamespace?
    var pcap: String?

    override func setUpWithError() throws {
        try requireRoot("BGP against the MSEE stand-ins in the namespace lab")
        lab = Lab("hmi")
    }

    override func tearDown() {
        ns?.leave()
        ns = nil
        if lab != nil {
            if pcap != nil { lab.bash("kill -INT $(cat \(lab.dir)/tcpdump.pid); sleep 0.3", check: false) }
            msee("msee_status", check: false)
            msee("msee_stop", check: false)
        }
        lab = nil
    }

    @discardableResult
    func msee(_ script: String, check: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> (Int32, String) {
        lab.bash("source lab/msee.sh && " + script, check: check, file: file, line: line)
    }

    func mseeHolds(_ check: String) -> Bool { msee(check, check: false).0 == 0 }

    func requirePeer(_ impl: String) throws {
        let bin = ["frr": "/usr/lib/frr/bgpd", "bird": "/usr/sbin/bird", "gobgp": "/usr/bin/gobgpd"][impl]!
        try requireTool(bin, install: ["frr": "frr", "bird": "bird2", "gobgp": "gobgpd"][impl]!)
    }

    /// Starts tcpdump in the edge namespace when MSEE_PCAP_DIR asks for it.
    func startCapture() {
        guard let dir = ProcessInfo.processInfo.environment["MSEE_PCAP_DIR"] else { return }
        let name = name.components(separatedBy: " ").last!.trimmingCharacters(in: CharacterSet(charactersIn: "]"))
        pcap = dir + "/" + name + ".pcap"
        // --immediate-mode: without it the kernel hands packets over in blocks, and the last ones
        // (the NOTIFICATION) would still sit there when tcpdump is stopped.
        lab.bash("""
            mkdir -p \(dir)
            ip netns exec \(lab.prefix)-edge tcpdump -i onprem0 --immediate-mode -U -s 0 -w \(pcap!) 'tcp port 179' \
                >\(lab.dir)/tcpdump.log 2>&1 </dev/null &
            echo $! >\(lab.dir)/tcpdump.pid
            lab_wait_for 5 grep -q listening \(lab.dir)/tcpdump.log
            """)
    }

    func writeKey(_ key: String) -> String {
        let path = lab.dir + "/er.key"
        try! (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        sh("chown root:root \(path) && chmod 0600 \(path)")
        return path
    }

    /// The runner as an on-prem router would run it, inside the on-prem namespace (the test
    /// thread stays there until tearDown).
    func driver(md5KeyFile: String?) throws -> BGPDriver {
        let s = SessionConfig(localAS: 65010, routerID: 0xC0A8_0A01, peerAS: 12076, holdTime: 30,
                              connectRetryMs: 1_000, idleHoldInitialMs: 1_000, idleHoldMaxMs: 4_000,
                              families: [.ipv4Unicast])
        let t = BGPTransportConfig(neighbor: MSEEInteropTests.msee, localAddress: MSEEInteropTests.onprem, device: "er0")
        ns = EnteredNamespace(lab.prefix + "-onprem")
        let r = try BGPRunner(config: BGPPeerConfig(name: "er", session: s, transport: t, md5KeyFile: md5KeyFile))
        r.transport.captureLimit = 4096
        return try BGPDriver(r)
    }

    /// The session comes up, the VNet's prefix arrives with the MSEE as next hop, and the peer's
    /// own CLI shows the session Established and hedge's prefix received.
    func exchange(_ impl: String, md5: String?) throws {
        try requirePeer(impl)
        startCapture()
        msee("msee_start \(impl)" + (md5.map { " --md5 \($0)" } ?? ""))
        let d = try driver(md5KeyFile: md5.map(writeKey))
        d.announce([MSEEInteropTests.lan])
        d.start()
        // GoBGP waits a few seconds before its first connection; hedge's own comes first anyway.
        XCTAssertTrue(d.pump(until: 15_000) { d.runner.state == .established },
                      "states \(d.states)\n\(msee("msee_status", check: false).1)")
        // Hold time: the smaller of the two offers (FRR 180, BIRD 240, GoBGP 90 against our 30).
        XCTAssertTrue(d.events.contains { if case .up(12076, 0xC0A8_0A02, 30_000) = $0 { return true }; return false },
                      "\(d.events)")
        XCTAssertTrue(d.pump(until: 5_000) { d.received[MSEEInteropTests.vnet] != nil }, "received \(d.received)")
        XCTAssertEqual(d.received[MSEEInteropTests.vnet], MSEEInteropTests.msee)
        // FRR sends hedge's own prefix back (AS_PATH 12076 65010): AS-loop detection (RFC 4271
        // §9.1.2) must keep it out, so the VNet is all hedge holds.
        XCTAssertEqual(Set(d.received.keys), [MSEEInteropTests.vnet], "\(d.received)")
        XCTAssertTrue(d.pump(until: 5_000) { self.mseeHolds("msee_established && msee_received \(MSEEInteropTests.lan)") },
                      msee("msee_status", check: false).1)
        XCTAssertFalse(mseeHolds("msee_received 172.16.9.0/24"), "msee_received must not match any prefix")
        // The session stays up a moment (no late NOTIFICATION about our UPDATE).
        d.pump(1_500)
        XCTAssertEqual(d.runner.state, .established)

        // The stand-in is stopped (SIGTERM): each says goodbye with a Cease (FRR and GoBGP Peer
        // De-configured, BIRD Administrative Shutdown), the peer's doing and not a path failure.
        msee("msee_stop")
        XCTAssertTrue(d.pump(until: 5_000) { !d.downs.isEmpty }, "states \(d.states)")
        let (cause, reason) = d.downs[0]
        XCTAssertEqual(cause, .peerNotification, "\(reason)")
        guard case .notificationReceived(let n) = reason else { return XCTFail("\(reason)") }
        XCTAssertEqual(n.errorCode, .cease, "\(n)")
        XCTAssertTrue(d.received.isEmpty)
    }

    /// Different keys: the kernels drop each other's segments, no OPEN is ever seen.
    func wrongKey(_ impl: String) throws {
        try requirePeer(impl)
        msee("msee_start \(impl) --md5 the-msee-key")
        let d = try driver(md5KeyFile: writeKey("a-wrong-key"))
        d.start()
        d.pump(6_000)
        XCTAssertFalse(d.states.contains(.openSent), "states \(d.states)")
        XCTAssertNotEqual(d.runner.state, .established)
        XCTAssertTrue(d.runner.transport.captured.isEmpty)
        XCTAssertTrue(d.states.contains(.connect), "hedge never tried: states \(d.states)")
        XCTAssertFalse(mseeHolds("msee_established"))
    }

    func testFRR() throws { try exchange("frr", md5: nil) }
    func testFRRWithMD5() throws { try exchange("frr", md5: "msee-frr-key") }
    func testFRRWrongMD5NeverEstablishes() throws { try wrongKey("frr") }

    func testBIRD() throws { try exchange("bird", md5: nil) }
    func testBIRDWithMD5() throws { try exchange("bird", md5: "msee-bird-key") }
    func testBIRDWrongMD5NeverEstablishes() throws { try wrongKey("bird") }

    func testGoBGP() throws { try exchange("gobgp", md5: nil) }
    func testGoBGPWithMD5() throws { try exchange("gobgp", md5: "msee-gobgp-key") }
    func testGoBGPWrongMD5NeverEstablishes() throws { try wrongKey("gobgp") }
}
