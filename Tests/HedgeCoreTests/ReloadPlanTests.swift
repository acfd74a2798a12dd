import XCTest
@testable import HedgeCore

/// What a reload keeps: unchanged paths (sessions, health) and groups (active path, hold-down).
final class ReloadPlanTests: XCTestCase {
    let base = """
        path er { priority 10; device er0; gateway 192.168.10.2; bfd 192.168.10.2 { interval 300ms; } }
        path vpn { priority 20; device vpn0; gateway 192.168.20.2; probe icmp 10.200.0.4 { interval 10ms; } }
        group azure { prefix 10.200.0.0/16; paths er vpn; hold-down 30s; }

        """

    func config(_ text: String) throws -> HedgeConfig {
        let r = ConfigLoader.parse(text, file: "t.conf")
        return try XCTUnwrap(r.config, r.diagnostics.map { $0.description }.joined(separator: "\n"))
    }

    func testSameFileChangesNothing() throws {
        let p = ReloadPlan(old: try config(base), new: try config(base))
        XCTAssertEqual(p.paths, [0: 0, 1: 1])
        XCTAssertEqual(p.groups, [0: 0])
        XCTAssertEqual(p.changes, [])
    }

    func testMovingBlocksAndCommentsIsNotAChange() throws {
        let moved = "# a comment\n\n" + base.replacingOccurrences(of: "; }\npath vpn", with: ";\n}\npath vpn")
        let p = ReloadPlan(old: try config(base), new: try config(moved))
        XCTAssertEqual(p.paths, [0: 0, 1: 1])
        XCTAssertEqual(p.groups, [0: 0])
    }

    func testAnotherGroupAddedKeepsTheRest() throws {
        let p = ReloadPlan(old: try config(base), new: try config(base + "group dc { prefix 10.9.0.0/16; paths er vpn; }\n"))
        XCTAssertEqual(p.paths, [0: 0, 1: 1])
        XCTAssertEqual(p.groups, [0: 0])
        XCTAssertEqual(p.changes, ["group dc: added"])
    }

    func testChangedProbeRestartsThatPathAndItsGroup() throws {
        let p = ReloadPlan(old: try config(base), new: try config(base.replacingOccurrences(of: "interval 10ms", with: "interval 20ms")))
        XCTAssertEqual(p.paths, [0: 0])
        XCTAssertEqual(p.groups, [:], "a group whose member changed starts over (adopting the kernel's choice)")
        XCTAssertEqual(p.changes, ["path vpn: changed", "group azure: changed"])
    }

    func testMSSAndMTUChangeInPlace() throws {
        let tunnel = """
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } MSS } }
            group azure { prefix 10.200.0.0/16; paths er vpn; }
            """
        let p = ReloadPlan(old: try config(tunnel.replacingOccurrences(of: "MSS", with: "")),
                           new: try config(tunnel.replacingOccurrences(of: "MSS", with: "mss off; mtu 1420;")))
        XCTAssertEqual(p.paths, [0: 0, 1: 1], "the tunnel's sessions and probes carry on")
        XCTAssertEqual(p.groups, [0: 0])
        XCTAssertEqual(p.changes, ["path vpn: mss 1350 -> off", "path vpn: mtu 1400 -> 1420"])
    }

    func testAProposalChangeRestartsNothing() throws {
        let tunnel = """
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
                ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; PROPOSAL } } }
            group azure { prefix 10.200.0.0/16; paths er vpn; }
            """
        let p = ReloadPlan(old: try config(tunnel.replacingOccurrences(of: "PROPOSAL", with: "")),
                           new: try config(tunnel.replacingOccurrences(of: "PROPOSAL", with: "proposals aes256-sha256-modp2048; child-lifetime 1h;")))
        XCTAssertEqual(p.paths, [0: 0, 1: 1], "hedge only checks the proposal; charon applies it")
        XCTAssertEqual(p.groups, [0: 0])
        XCTAssertEqual(p.changes, [])
        let old = try config(tunnel.replacingOccurrences(of: "PROPOSAL", with: "")).paths[1].ipsec!
        let moved = try config("\n\n" + tunnel.replacingOccurrences(of: "PROPOSAL", with: "esp-proposals aes256gcm16;")).paths[1].ipsec!
        XCTAssertTrue(ReloadPlan.keepsTunnel(old, moved), "the agent keeps the tunnel, its SAs and charon's CHILD_SA")
        let other = try config(tunnel.replacingOccurrences(of: "PROPOSAL", with: "").replacingOccurrences(of: "if-id 42", with: "if-id 43")).paths[1].ipsec!
        XCTAssertFalse(ReloadPlan.keepsTunnel(old, other))
    }

    func testAMeasureChangeKeepsTheGroup() throws {
        let measured = base.replacingOccurrences(of: "hold-down 30s;",
                                                 with: "hold-down 30s; measure reflect 10.200.0.4 { source 172.16.0.1; key-file \"/k\"; }")
        let p = ReloadPlan(old: try config(base), new: try config(measured))
        XCTAssertEqual(p.groups, [0: 0], "a measure decides nothing")
        XCTAssertEqual(p.changes, ["group azure: measure changed"])
        XCTAssertEqual(ReloadPlan(old: try config(measured), new: try config("\n" + measured)).changes, [])
    }

    func testPriorityChangeKeepsSessionsButNotTheGroupEngine() throws {
        let p = ReloadPlan(old: try config(base), new: try config(base.replacingOccurrences(of: "priority 20", with: "priority 5")))
        XCTAssertEqual(p.paths, [0: 0, 1: 1])
        XCTAssertEqual(p.groups, [:])
        XCTAssertEqual(p.changes, ["path vpn: priority 20 -> 5", "group azure: changed"])
    }

    func testRenamedAndRemovedPaths() throws {
        let text = base.replacingOccurrences(of: "path vpn", with: "path vpn2").replacingOccurrences(of: "paths er vpn", with: "paths er vpn2")
        let p = ReloadPlan(old: try config(base), new: try config(text))
        XCTAssertEqual(p.paths, [0: 0])
        XCTAssertEqual(p.changes, ["path vpn2: added", "path vpn: removed", "group azure: changed"])
    }

    /// The decision takes over an unchanged group's active path and hold-down.
    func testDecisionInheritsState() throws {
        let old = try config(base), new = try config(base + "group dc { prefix 10.9.0.0/16; paths er vpn; }\n")
        var d = Decision(config: old)
        d.signal(path: 0, .carrier, .up, reason: "up", now: 0)
        d.signal(path: 1, .carrier, .up, reason: "up", now: 0)
        d.signal(path: 0, .bfd, .up, reason: "up", now: 0)
        d.signal(path: 1, .probe, .up, reason: "up", now: 0)
        _ = d.evaluate(now: 0)
        d.signal(path: 0, .bfd, .down, reason: "BFD down", now: 100)
        XCTAssertEqual(d.evaluate(now: 100).first?.kind, .failover)
        d.signal(path: 0, .bfd, .up, reason: "up", now: 200)
        XCTAssertEqual(d.evaluate(now: 200).count, 0, "inside the hold-down")
        var n = Decision(config: new)
        n.inherit(from: d, plan: ReloadPlan(old: old, new: new))
        XCTAssertEqual(n.active(group: 0), 1, "still on the VPN")
        XCTAssertEqual(n.paths[0].health, .up)
        XCTAssertEqual(n.paths[0].flaps, 1)
        XCTAssertEqual(n.evaluate(now: 300).filter { $0.group == 0 }.count, 0, "the hold-down still runs")
        XCTAssertEqual(n.evaluate(now: 30_200).first { $0.group == 0 }?.kind, .failback)
    }
}
