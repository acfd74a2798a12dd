import Foundation
import XCTest

/// The TCP MSS clamp in hedge's nftables table, with real TCP: a path-MTU black hole (a 1400-byte
/// link in the middle of the VPN path, "fragmentation needed" dropped) stalls a transfer between
/// 1500-byte hosts unless SYNs through vpn0 are clamped. The namespace lab's vpn0 is a plain veth
/// (this kernel has no XFRM interfaces): the clamp matches the device by name, so what it does to
/// TCP is the same; the VM lab proves it over real ESP.
final class LabClampTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge's nftables table (NETLINK_NETFILTER) in the namespace lab")
        try requireTool("/usr/sbin/nft", "/usr/bin/python3", install: "nftables python3")
    }

    func config(_ lab: Lab, mss: String = "") -> String {
        """
        path expressroute { priority 10; device er0; gateway 192.168.10.2; probe icmp 10.200.0.4 { interval 50ms; } }
        path vpn {
            priority 20; device vpn0;
            ipsec { if-id 42; local 192.168.20.1; remote 192.168.20.2; \(mss)
                    strongswan { connection lab; vici "\(lab.dir)/no-charon.vici"; initiate off; } }
            probe icmp 10.200.0.4 { interval 50ms; }
        }
        group azure { prefix 10.200.0.0/16; paths expressroute vpn; hold-down 1s; }
        """
    }

    /// A black hole for big packets on the VPN path: the VPN namespace forwards at most 1400 bytes
    /// either way, and its "fragmentation needed" never leaves. (An MTU on the forwarding egress, as
    /// a router has it: veth's own receive check lets GSO packets of any size through.)
    /// The test's TCP to the VNet host takes vpn0 by a /32 of its own (Azure returns over the VPN:
    /// nothing announces the LAN to the MSEE here).
    func blackHole(_ lab: Lab) {
        lab.bash("""
            ip -n \(lab.prefix)-vpn link set azure0 mtu 1400 && ip -n \(lab.prefix)-vpn link set onprem0 mtu 1400 &&
            ip netns exec \(lab.prefix)-vpn nft -f - <<'EOF'
            table inet lab {
                chain out {
                    type filter hook output priority 0;
                    icmp type destination-unreachable icmp code frag-needed drop
                }
            }
            EOF
            ip -n \(lab.prefix)-onprem route replace 10.200.0.4/32 via 192.168.20.2 dev vpn0
            """)
    }

    /// Bytes moved by one TCP connection, SERVER_NS serving COUNT bytes to a client in CLIENT_NS,
    /// or nil when it did not finish within `seconds`.
    func transfer(_ lab: Lab, serverNS: String, bind: String, clientNS: String, from source: String, bytes: Int,
                  seconds: Int) -> Double? {
        let py = lab.dir + "/tcp.py"
        try! """
        import socket, sys, time
        if sys.argv[1] == "serve":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[2], 9300)); s.listen(1); s.settimeout(float(sys.argv[4]))
            c, _ = s.accept(); c.settimeout(float(sys.argv[4]))
            chunk = b"x" * 65536; left = int(sys.argv[3])
            try:
                while left > 0:
                    n = c.send(chunk[:min(left, len(chunk))]); left -= n
            except OSError:
                pass
            c.close()
        else:
            c = socket.socket(); c.bind((sys.argv[3], 0)); c.settimeout(float(sys.argv[5]))
            t0 = time.monotonic(); c.connect((sys.argv[2], 9300)); got = 0
            try:
                while got < int(sys.argv[4]):
                    b = c.recv(65536)
                    if not b: break
                    got += len(b)
            except OSError:
                pass
            print("%d %.3f" % (got, time.monotonic() - t0))
        """.write(toFile: py, atomically: true, encoding: .utf8)
        lab.bash("ip netns exec \(lab.prefix)-\(serverNS) timeout \(seconds + 2) python3 \(py) serve \(bind) \(bytes) \(seconds) >/dev/null 2>&1 & sleep 0.3")
        let out = lab.bash("ip netns exec \(lab.prefix)-\(clientNS) timeout \(seconds + 2) python3 \(py) fetch \(bind) \(source) \(bytes) \(seconds)",
                           check: false).1.split(separator: " ")
        guard out.count == 2, Int(out[0]) == bytes else { return nil }
        return Double(out[1].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func table(_ lab: Lab) -> String { lab.onprem("nft list table inet hedge", check: false) }
    func tunnel(_ lab: Lab) -> [String: Any] { lab.path("vpn")["ipsec"] as? [String: Any] ?? [:] }

    func testTheClampCarriesTCPThroughABlackHoleBothWays() throws {
        let lab = Lab("tcl")
        lab.writeConfig(text: config(lab))
        lab.startHedge()
        XCTAssertTrue(waitFor(5) { self.table(lab).contains("comment \"hedge: clamp TCP MSS to 1350 out to vpn0\"") },
                      "the clamp is in hedge's own table:\n\(table(lab))\n\(lab.log)")
        XCTAssertTrue(table(lab).contains("tcp option maxseg size set 1350"), table(lab))
        XCTAssertEqual(tunnel(lab)["mss_clamp_in_place"] as? Bool, true, "\(tunnel(lab))")
        blackHole(lab)
        let down = transfer(lab, serverNS: "azure", bind: "10.200.0.4", clientNS: "onprem", from: "172.16.0.1", bytes: 4_000_000, seconds: 20)
        let up = transfer(lab, serverNS: "onprem", bind: "172.16.0.1", clientNS: "azure", from: "10.200.0.4", bytes: 4_000_000, seconds: 20)
        XCTAssertNotNil(down, "Azure → on-prem completes with the clamp")
        XCTAssertNotNil(up, "on-prem → Azure completes with the clamp")
        print("clamp 1350: 4 MB Azure → on-prem in \(down ?? -1) s, on-prem → Azure in \(up ?? -1) s")

        // The same with the clamp off: the black hole swallows every full-sized segment.
        lab.stopHedge()
        lab.writeConfig(text: config(lab, mss: "mss off;"))
        lab.startHedge()
        XCTAssertTrue(waitFor(5) { !self.table(lab).contains("maxseg") }, "mss off removes the table:\n\(table(lab))")
        XCTAssertNil(transfer(lab, serverNS: "azure", bind: "10.200.0.4", clientNS: "onprem", from: "172.16.0.1", bytes: 4_000_000, seconds: 4),
                     "without the clamp the transfer stalls")
        XCTAssertNil(transfer(lab, serverNS: "onprem", bind: "172.16.0.1", clientNS: "azure", from: "10.200.0.4", bytes: 4_000_000, seconds: 4))
    }

    func testARestartChangesNothingAndAFlushIsPutBack() throws {
        let lab = Lab("tcm")
        lab.writeConfig(text: config(lab))
        lab.startHedge()
        XCTAssertTrue(waitFor(5) { self.table(lab).contains("maxseg") }, lab.log)
        // Restart: the table is adopted as it is, nothing is sent.
        let monitor = lab.dir + "/nft.monitor"
        lab.bash("{ ip netns exec \(lab.prefix)-onprem nft monitor >\(monitor) 2>&1 & echo $! >\(lab.dir)/monitor.pid; } ; sleep 0.3")
        lab.stopHedge()
        lab.startHedge()
        XCTAssertTrue(waitFor(5) { self.tunnel(lab)["mss_clamp_in_place"] as? Bool == true }, lab.log)
        Thread.sleep(forTimeInterval: 0.5)
        lab.bash("kill $(cat \(lab.dir)/monitor.pid)")
        let seen = (try? String(contentsOfFile: monitor, encoding: .utf8)) ?? ""
        XCTAssertFalse(seen.contains("hedge"), "a restart sends nothing to nftables:\n\(seen)")

        // Someone flushes a chain: hedge puts it back, and says so.
        lab.onprem("nft flush chain inet hedge mss-in")
        XCTAssertTrue(waitFor(3) { self.table(lab).contains("in from vpn0") }, "put back:\n\(table(lab))\n\(lab.log)")
        XCTAssertTrue(waitFor(2) { self.tunnel(lab)["mss_clamp_restored"] as? Int == 1 }, "\(tunnel(lab))")
        XCTAssertTrue(lab.log.contains("changed by another program (NFT_MSG_DELRULE)"), lab.log)
        // Nothing outside its table is touched.
        lab.onprem("nft add table inet other")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertTrue(lab.onprem("nft list tables").contains("table inet other"))
        XCTAssertEqual(tunnel(lab)["mss_clamp_restored"] as? Int, 1)
    }

    func testAReloadChangesTheClampInPlace() throws {
        let lab = Lab("tcr")
        lab.writeConfig(text: config(lab))
        lab.startHedge()
        XCTAssertTrue(waitFor(5) { self.table(lab).contains("maxseg size set 1350") }, lab.log)
        lab.writeConfig(text: config(lab, mss: "mss 1300;"))
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { self.table(lab).contains("maxseg size set 1300") && !self.table(lab).contains("1350") },
                      "\(table(lab))\n\(lab.log)")
        XCTAssertTrue(lab.log.contains("path vpn: mss 1350 -> 1300"), lab.log)
        XCTAssertFalse(lab.log.contains("path vpn: changed"), "the tunnel's sessions and probes carry on")
        lab.writeConfig(text: config(lab, mss: "mss off;"))
        lab.signalHedge(SIGHUP)
        XCTAssertTrue(waitFor(5) { !self.hasTable(lab) }, "mss off: hedge's table is gone:\n\(table(lab))")
    }

    func hasTable(_ lab: Lab) -> Bool { lab.onprem("nft list tables", check: false).contains("inet hedge") }
}
