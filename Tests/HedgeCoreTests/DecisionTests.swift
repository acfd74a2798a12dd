import XCTest
@testable import HedgeCore

final class DecisionTests: XCTestCase {
    // Paths: 0 expressroute (10), 1 vpn (20); optional 2 expressroute2 (15) listed last.
    private let er = 0, vpn = 1, er2 = 2

    private func make(holdDown: Millis = 30_000, damping: DampingConfig? = nil, third: Bool = false) -> Decision {
        var paths = [
            PathSpec(name: "expressroute", priority: 10, signals: [.carrier, .probe]),
            PathSpec(name: "vpn", priority: 20, signals: [.carrier, .probe]),
        ]
        if third { paths.append(PathSpec(name: "expressroute2", priority: 15, signals: [.carrier, .probe])) }
        return Decision(paths: paths, groups: [
            GroupSpec(name: "azure", members: Array(paths.indices), holdDownMs: holdDown, damping: damping),
        ])
    }

    private func up(_ d: inout Decision, _ p: Int, _ now: Millis) {
        d.signal(path: p, .carrier, .up, reason: "carrier up", now: now)
        d.signal(path: p, .probe, .up, reason: "probe: replies", now: now)
    }

    private func down(_ d: inout Decision, _ p: Int, _ now: Millis) {
        d.signal(path: p, .carrier, .down, reason: "carrier lost", now: now)
    }

    // MARK: path health

    func testPathHealthCombinesSignals() {
        var d = make()
        XCTAssertEqual(d.paths[er].health, .unknown)
        XCTAssertNil(d.paths[er].since)
        XCTAssertNil(d.signal(path: er, .carrier, .up, reason: "carrier up", now: 5), "probe still unknown")
        XCTAssertEqual(d.paths[er].health, .unknown)
        XCTAssertEqual(d.signal(path: er, .probe, .up, reason: "probe: ok", now: 7), .up)
        XCTAssertEqual(d.paths[er].since, 7)
        XCTAssertEqual(d.signal(path: er, .probe, .down, reason: "probe: no reply for 30 ms", now: 9), .down)
        XCTAssertEqual(d.paths[er].reason, "probe: no reply for 30 ms")
        XCTAssertEqual(d.paths[er].flaps, 1)
        XCTAssertEqual(d.paths[er].signal(.probe)?.since, 9)
        XCTAssertEqual(d.paths[er].signal(.carrier)?.since, 5)
        // Both down: the reason is the first signal's (carrier).
        XCTAssertNil(d.signal(path: er, .carrier, .down, reason: "carrier lost", now: 10))
        XCTAssertEqual(d.paths[er].reason, "carrier lost")
        XCTAssertEqual(d.paths[er].since, 9)
        XCTAssertNil(d.signal(path: er, .carrier, .up, reason: "carrier up", now: 11))
        XCTAssertEqual(d.signal(path: er, .probe, .up, reason: "probe: ok", now: 12), .up)
        XCTAssertEqual(d.paths[er].flaps, 1)
    }

    func testStartingDownIsNotAFlapAndUnknownSignalsAreIgnored() {
        var d = make()
        down(&d, er, 1)
        XCTAssertEqual(d.paths[er].health, .down)
        XCTAssertEqual(d.paths[er].flaps, 0)
        XCTAssertNil(d.signal(path: 7, .carrier, .up, reason: "", now: 2))
        let only = Decision(paths: [PathSpec(name: "x", priority: 1, signals: [.carrier])], groups: [])
        var o = only
        XCTAssertNil(o.signal(path: 0, .probe, .down, reason: "nope", now: 1), "signal not declared")
        XCTAssertEqual(o.paths[0].health, .unknown)
        let staticPath = Decision(paths: [PathSpec(name: "s", priority: 1, signals: [])], groups: [])
        XCTAssertEqual(staticPath.paths[0].health, .up)
    }

    // MARK: selection

    func testInitialPickPrefersUpThenUnknownThenAny() {
        var d = make()
        XCTAssertEqual(d.nextDeadline(now: 0), 0, "nothing picked yet")
        up(&d, vpn, 1)
        var s = d.evaluate(now: 2)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].kind, .initial)
        XCTAssertNil(s[0].from)
        XCTAssertEqual(s[0].to, vpn, "up beats a better but unknown path")
        XCTAssertEqual(s[0].reason, "vpn up")

        d = make()
        s = d.evaluate(now: 0)
        XCTAssertEqual(s.first?.to, er, "all unknown: the best one")
        XCTAssertEqual(s.first?.reason, "expressroute health unknown, no member up yet")

        d = make()
        down(&d, er, 0)
        down(&d, vpn, 0)
        s = d.evaluate(now: 0)
        XCTAssertEqual(s.first?.to, er, "all down: the best one, never leave the group without routes")
        XCTAssertEqual(s.first?.reason, "no member up; expressroute chosen (carrier lost)")
        XCTAssertEqual(d.evaluate(now: 1).count, 0)
    }

    func testFailoverAtOnce() {
        var d = make()
        up(&d, er, 0); up(&d, vpn, 0)
        XCTAssertEqual(d.evaluate(now: 0).first?.to, er)
        XCTAssertEqual(d.evaluate(now: 100).count, 0)
        XCTAssertNil(d.nextDeadline(now: 100))
        down(&d, er, 1000)
        let s = d.evaluate(now: 1000)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].kind, .failover)
        XCTAssertEqual(s[0].from, er)
        XCTAssertEqual(s[0].to, vpn)
        XCTAssertEqual(s[0].at, 1000)
        XCTAssertEqual(s[0].reason, "expressroute down: carrier lost")
        XCTAssertEqual(d.groups[0].active, vpn)
        XCTAssertEqual(d.groups[0].lastSwitch?.to, vpn)
    }

    func testFailbackAfterHoldDown() {
        var d = make(holdDown: 30_000)
        up(&d, er, 0); up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        down(&d, er, 1000)
        _ = d.evaluate(now: 1000)
        up(&d, er, 5000)
        XCTAssertEqual(d.evaluate(now: 5000).count, 0)
        XCTAssertEqual(d.nextDeadline(now: 5000), 35_000)
        XCTAssertEqual(d.groupStates(now: 20_000)[0].members[0].holdDownUntil, 35_000)
        XCTAssertEqual(d.groupStates(now: 20_000)[0].members[0].healthyFor, 15_000)
        XCTAssertEqual(d.evaluate(now: 34_999).count, 0)
        let s = d.evaluate(now: 35_000)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].kind, .failback)
        XCTAssertEqual(s[0].from, vpn)
        XCTAssertEqual(s[0].to, er)
        XCTAssertEqual(s[0].reason, "expressroute up for 30000 ms (hold-down)")
        XCTAssertNil(d.nextDeadline(now: 35_000))
    }

    func testZeroHoldDownFailsBackAtOnce() {
        var d = make(holdDown: 0)
        up(&d, vpn, 0)
        XCTAssertEqual(d.evaluate(now: 0).first?.to, vpn)
        up(&d, er, 10)
        let s = d.evaluate(now: 10)
        XCTAssertEqual(s.first?.kind, .failback)
        XCTAssertEqual(s.first?.to, er)
        XCTAssertEqual(s.first?.reason, "expressroute up (no hold-down)")
    }

    func testHoldDownRestartsOnFlap() {
        var d = make(holdDown: 30_000)
        up(&d, vpn, 0)
        down(&d, er, 0)
        _ = d.evaluate(now: 0)
        up(&d, er, 10_000)
        XCTAssertEqual(d.evaluate(now: 20_000).count, 0)
        down(&d, er, 25_000)
        XCTAssertEqual(d.evaluate(now: 25_000).count, 0, "active vpn is fine; er is down")
        XCTAssertNil(d.nextDeadline(now: 25_000))
        up(&d, er, 26_000)
        XCTAssertEqual(d.nextDeadline(now: 26_000), 56_000)
        XCTAssertEqual(d.evaluate(now: 40_000).count, 0, "would have been due at 40 000 without the flap")
        XCTAssertEqual(d.evaluate(now: 55_999).count, 0)
        XCTAssertEqual(d.evaluate(now: 56_000).first?.to, er)
    }

    func testNoSwitchBetweenTwoDeadPaths() {
        var d = make()
        up(&d, er, 0); up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        down(&d, vpn, 500)
        XCTAssertEqual(d.evaluate(now: 500).count, 0)
        down(&d, er, 1000)
        XCTAssertEqual(d.evaluate(now: 1000).count, 0, "vpn is down too: stay")
        var g = d.groups[0]
        XCTAssertEqual(g.active, er)
        XCTAssertEqual(g.stranded, "expressroute down: carrier lost; no other member is up")
        XCTAssertEqual(g.strandedSince, 1000)
        XCTAssertEqual(d.evaluate(now: 2000).count, 0)
        XCTAssertEqual(d.groups[0].strandedSince, 1000)
        // The VPN comes back: fail over to it at once.
        up(&d, vpn, 3000)
        let s = d.evaluate(now: 3000)
        XCTAssertEqual(s.first?.kind, .failover)
        XCTAssertEqual(s.first?.to, vpn)
        g = d.groups[0]
        XCTAssertNil(g.stranded)
    }

    func testFailoverToUnknownWhenNothingIsUp() {
        var d = make()
        up(&d, er, 0)
        _ = d.evaluate(now: 0)
        down(&d, er, 10)
        let s = d.evaluate(now: 10)
        XCTAssertEqual(s.first?.to, vpn)
        XCTAssertEqual(s.first?.reason, "expressroute down: carrier lost; vpn health unknown")
    }

    func testThreePathsFailToSecondCircuitNotVPN() {
        var d = make(holdDown: 1000, third: true)
        up(&d, er, 0); up(&d, vpn, 0); up(&d, er2, 0)
        XCTAssertEqual(d.evaluate(now: 0).first?.to, er)
        XCTAssertEqual(d.groups[0].members.map { $0.path }, [er, er2, vpn], "ordered by priority")
        down(&d, er, 100)
        XCTAssertEqual(d.evaluate(now: 100).first?.to, er2)
        down(&d, er2, 200)
        let s = d.evaluate(now: 200)
        XCTAssertEqual(s.first?.from, er2)
        XCTAssertEqual(s.first?.to, vpn)
        // The second circuit returns first: fail back to it after its hold-down, then to the first.
        up(&d, er2, 300)
        up(&d, er, 600)
        XCTAssertEqual(d.nextDeadline(now: 600), 1300)
        XCTAssertEqual(d.evaluate(now: 1300).first?.to, er2)
        XCTAssertEqual(d.nextDeadline(now: 1300), 1600)
        let back = d.evaluate(now: 1600)
        XCTAssertEqual(back.first?.from, er2)
        XCTAssertEqual(back.first?.to, er)
    }

    func testFailbackGoesStraightToTheBestWhenBothQualify() {
        var d = make(holdDown: 1000, third: true)
        up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        up(&d, er2, 10); up(&d, er, 20)
        XCTAssertEqual(d.evaluate(now: 1010).first?.to, er2)
        XCTAssertEqual(d.evaluate(now: 1020).first?.to, er)
    }

    func testAdoptKeepsAdoptedPath() {
        var d = make(holdDown: 30_000)
        d.adopt(group: 0, activePath: vpn, now: 0)
        XCTAssertTrue(d.groups[0].adopted)
        XCTAssertEqual(d.evaluate(now: 0).count, 0, "signals not in yet: keep what the kernel has")
        up(&d, er, 5)
        XCTAssertEqual(d.evaluate(now: 5).count, 0, "a restart must not move traffic")
        up(&d, vpn, 6)
        XCTAssertEqual(d.evaluate(now: 1000).count, 0)
        XCTAssertEqual(d.groups[0].active, vpn)
        // The better path still fails back after it has proved itself for the hold-down.
        XCTAssertEqual(d.nextDeadline(now: 1000), 30_005)
        XCTAssertEqual(d.evaluate(now: 30_005).first?.kind, .failback)
        XCTAssertFalse(d.groups[0].adopted)
    }

    func testAdoptedPathLeftWhenDown() {
        var d = make()
        d.adopt(group: 0, activePath: er, now: 0)
        up(&d, vpn, 1)
        down(&d, er, 2)
        let s = d.evaluate(now: 2)
        XCTAssertEqual(s.first?.kind, .failover)
        XCTAssertEqual(s.first?.from, er)
        XCTAssertEqual(s.first?.to, vpn)
    }

    func testAdoptNothingOrStrangerMeansInitialPick() {
        var d = make()
        d.adopt(group: 0, activePath: nil, now: 0)
        XCTAssertEqual(d.evaluate(now: 0).first?.kind, .initial)
        var e = make()
        e.adopt(group: 0, activePath: 9, now: 0)
        XCTAssertEqual(e.evaluate(now: 0).first?.kind, .initial)
    }

    func testUnknownActiveIsKept() {
        var d = make()
        _ = d.evaluate(now: 0)           // er, unknown
        up(&d, vpn, 1)
        XCTAssertEqual(d.evaluate(now: 1).count, 0, "only a down (or suppressed) active path fails over")
    }

    // MARK: damping

    private let fastDamping = DampingConfig(penalty: 1000, suppress: 1500, reuse: 500,
                                            halfLifeMs: 1000, maxSuppressMs: 100_000)

    func testSuppressedPathIsNotFailedBackTo() {
        var d = make(holdDown: 100, damping: fastDamping)
        up(&d, er, 0); up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        down(&d, er, 10)
        XCTAssertEqual(d.evaluate(now: 10).first?.to, vpn)
        up(&d, er, 20)
        down(&d, er, 30)                 // second flap: penalty ≈ 1000·2^(-20/1000) + 1000 > 1500
        up(&d, er, 40)
        XCTAssertEqual(d.paths[er].flaps, 2)
        var m = d.groupStates(now: 40)[0].members[0]
        XCTAssertTrue(m.suppressed)
        let reuse = try! XCTUnwrap(m.reuseAt)
        XCTAssertGreaterThan(reuse, 2000)   // 30 + 1000 · log2(1986 / 500) ≈ 2020
        XCTAssertLessThan(reuse, 2050)
        XCTAssertEqual(d.evaluate(now: 140).count, 0, "hold-down passed, but suppressed")
        XCTAssertEqual(d.nextDeadline(now: 140), reuse)
        XCTAssertEqual(d.evaluate(now: reuse - 1).count, 0)
        let s = d.evaluate(now: reuse)
        XCTAssertEqual(s.first?.kind, .failback)
        XCTAssertEqual(s.first?.to, er)
        m = d.groups[0].members[0]
        XCTAssertFalse(m.suppressed)
        XCTAssertNil(m.reuseAt)
    }

    func testSuppressedActiveFailsOverToUnsuppressedUpMember() {
        var d = make(holdDown: 100, damping: fastDamping)
        up(&d, er, 0)
        _ = d.evaluate(now: 0)
        // er flaps twice while vpn is unknown: er stays (down → vpn unknown is a failover, then back).
        down(&d, er, 10); up(&d, er, 11); down(&d, er, 12); up(&d, er, 13)
        XCTAssertEqual(d.evaluate(now: 13).count, 0, "suppressed but nothing else is up")
        XCTAssertTrue(d.groups[0].members[0].suppressed)
        up(&d, vpn, 20)
        let s = d.evaluate(now: 20)
        XCTAssertEqual(s.first?.kind, .failover)
        XCTAssertEqual(s.first?.to, vpn)
        XCTAssertTrue(s.first?.reason.hasPrefix("expressroute suppressed by flap damping (penalty ") ?? false)
    }

    func testFailoverToSuppressedUpWhenItIsTheOnlyUp() {
        var d = make(holdDown: 0, damping: fastDamping)
        up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        down(&d, vpn, 1); up(&d, vpn, 2); down(&d, vpn, 3); up(&d, vpn, 4)   // vpn suppressed
        up(&d, er, 5)
        XCTAssertEqual(d.evaluate(now: 5).first?.to, er)
        down(&d, er, 6)
        let s = d.evaluate(now: 6)
        XCTAssertEqual(s.first?.to, vpn)
        XCTAssertEqual(s.first?.reason, "expressroute down: carrier lost; vpn up but suppressed by flap damping")
    }

    func testMaxSuppressCapsSuppressionInDecision() {
        let c = DampingConfig(penalty: 1000, suppress: 1500, reuse: 500, halfLifeMs: 1000, maxSuppressMs: 3000)
        var d = make(holdDown: 0, damping: c)
        up(&d, vpn, 0)
        _ = d.evaluate(now: 0)
        for i in 0..<20 as Range<Millis> { up(&d, er, 2 * i + 1); down(&d, er, 2 * i + 2) }
        up(&d, er, 41)
        let g = d.groupStates(now: 41)[0]
        XCTAssertLessThanOrEqual(g.members[0].penalty, Damping.ceiling(for: c))
        let reuse = try! XCTUnwrap(g.members[0].reuseAt)
        XCTAssertLessThanOrEqual(reuse, 40 + 3000)
        XCTAssertEqual(d.evaluate(now: reuse).first?.to, er)
    }

    // MARK: config

    func testInitFromConfig() {
        let loc = SourceLocation(line: 1, column: 1)
        var cfg = HedgeConfig()
        cfg.paths = [
            PathConfig(name: "vpn", priority: 20, device: "xfrm0", carrier: false,
                       probe: ProbeConfig(kind: .udp, target: IPAddress("10.1.0.4")!, location: loc), location: loc),
            PathConfig(name: "expressroute", priority: 10, device: "eth1", location: loc),
        ]
        cfg.groups = [GroupConfig(name: "azure", paths: ["vpn", "expressroute", "missing"], holdDownMs: 5,
                                  nexthopID: 1, location: loc)]
        var d = Decision(config: cfg)
        XCTAssertEqual(d.paths.map { $0.signals.map { $0.kind } }, [[.probe, .hold], [.carrier, .hold]])
        XCTAssertEqual(d.paths.map { $0.signal(.hold)?.health }, [.up, .up], "nothing is held at start")
        XCTAssertEqual(d.groups[0].members.map { $0.path }, [1, 0])
        d.signal(path: 1, .carrier, .up, reason: "carrier up", now: 0)
        XCTAssertEqual(d.evaluate(now: 0).first?.to, 1)
        XCTAssertEqual(d.groupIndex(named: "azure"), 0)
        XCTAssertEqual(d.pathIndex(named: "vpn"), 0)
    }
}

extension DecisionTests {
    /// ExpressRoute carries the traffic and the VPN is down: the alarm is raised, and cleared when
    /// the VPN is back. On the VPN after a failover it holds too: one more failure cuts the site off.
    func testNoRedundancyAlarm() {
        var d = make(holdDown: 0)
        up(&d, er, 0); up(&d, vpn, 0)
        _ = d.evaluate(now: 1)
        XCTAssertEqual(d.active(group: 0), er)
        XCTAssertNil(d.groupStates(now: 1)[0].noRedundancy)
        down(&d, vpn, 10)
        _ = d.evaluate(now: 10)
        XCTAssertEqual(d.groupStates(now: 10)[0].noRedundancy, "no redundancy: vpn is not usable (carrier lost)")
        up(&d, vpn, 20)
        _ = d.evaluate(now: 20)
        XCTAssertNil(d.groupStates(now: 20)[0].noRedundancy)
        down(&d, er, 30)
        _ = d.evaluate(now: 30)
        XCTAssertEqual(d.active(group: 0), vpn)
        XCTAssertEqual(d.groupStates(now: 30)[0].noRedundancy, "no redundancy: expressroute is not usable (carrier lost)")
        down(&d, vpn, 40)
        _ = d.evaluate(now: 40)
        XCTAssertNil(d.groupStates(now: 40)[0].noRedundancy, "nothing healthy carries traffic: stranded, not this alarm")
    }
}
