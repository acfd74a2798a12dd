import XCTest
@testable import HedgeCore

/// The circuit's two links as two members of equal priority: used together while both are up, one
/// failing leaves the other carrying (the VPN untouched), both failing moves to the VPN.
final class EcmpDecisionTests: XCTestCase {
    // Paths: 0 er-primary (10), 1 er-secondary (10), 2 vpn (20).
    private let p1 = 0, p2 = 1, vpn = 2
    private let hold: Millis = 1_000

    private func make() -> Decision {
        let paths = [
            PathSpec(name: "er-primary", priority: 10, signals: [.carrier, .bfd]),
            PathSpec(name: "er-secondary", priority: 10, signals: [.carrier, .bfd]),
            PathSpec(name: "vpn", priority: 20, signals: [.carrier, .bfd]),
        ]
        return Decision(paths: paths, groups: [GroupSpec(name: "azure", members: [0, 1, 2], holdDownMs: hold)])
    }

    private func up(_ d: inout Decision, _ p: Int, _ now: Millis) {
        d.signal(path: p, .carrier, .up, reason: "carrier up", now: now)
        d.signal(path: p, .bfd, .up, reason: "BFD up", now: now)
    }

    private func down(_ d: inout Decision, _ p: Int, _ now: Millis) {
        d.signal(path: p, .bfd, .down, reason: "BFD down", now: now)
    }

    /// All three up at 0, first choice made: both links in use.
    private func started() -> Decision {
        var d = make()
        for p in [p1, p2, vpn] { up(&d, p, 0) }
        let s = d.evaluate(now: 0)
        XCTAssertEqual(s.first?.members, [p1, p2])
        return d
    }

    func testInitialChoiceTakesTheWholeTier() {
        let d = started()
        XCTAssertEqual(d.active(group: 0), p1)
        XCTAssertEqual(d.activeMembers(group: 0), [p1, p2])
        XCTAssertEqual(d.groups[0].inUse, [p1, p2])
        XCTAssertNil(d.groups[0].noRedundancy, "the VPN could take over")
    }

    func testOneLinkFailingLeavesTheOtherAndNeverTouchesTheVPN() {
        var d = started()
        down(&d, p1, 100)
        let s = d.evaluate(now: 100)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].kind, .failover)
        XCTAssertEqual(s[0].from, p1)
        XCTAssertEqual(s[0].to, p2)
        XCTAssertEqual(s[0].members, [p2])
        XCTAssertEqual(s[0].left, [p1])
        XCTAssertEqual(s[0].reason, "er-primary down: BFD down; er-secondary carries on")
        XCTAssertEqual(d.activeMembers(group: 0), [p2])
        XCTAssertNil(d.groups[0].noRedundancy, "the VPN is still there")

        // Repaired: joins only after its hold-down, and the deadline says when.
        up(&d, p1, 200)
        XCTAssertTrue(d.evaluate(now: 200).isEmpty)
        XCTAssertEqual(d.nextDeadline(now: 200), 200 + hold)
        XCTAssertTrue(d.evaluate(now: 200 + hold - 1).isEmpty)
        let j = d.evaluate(now: 200 + hold)
        XCTAssertEqual(j.count, 1)
        XCTAssertEqual(j[0].kind, .failback)
        XCTAssertEqual(j[0].from, p2)
        XCTAssertEqual(j[0].to, p1)
        XCTAssertEqual(j[0].members, [p1, p2])
        XCTAssertEqual(j[0].reason, "er-primary up for 1000 ms (hold-down), joins er-secondary")
        XCTAssertNil(d.nextDeadline(now: 200 + hold))
    }

    func testTheSecondaryFailingKeepsTheLead() {
        var d = started()
        down(&d, p2, 100)
        let s = d.evaluate(now: 100)
        XCTAssertEqual(s.map { $0.kind }, [.failover])
        XCTAssertEqual(s[0].from, p1)
        XCTAssertEqual(s[0].to, p1, "the lead stays: the switch is inside the set")
        XCTAssertEqual(s[0].members, [p1])
        XCTAssertEqual(s[0].left, [p2])
        up(&d, p2, 150)
        XCTAssertEqual(d.evaluate(now: 150 + hold).first?.members, [p1, p2])
    }

    func testBothFailingMoveToTheVPNAndBothComeBackTogether() {
        var d = started()
        down(&d, p1, 100)
        _ = d.evaluate(now: 100)
        down(&d, p2, 110)
        let s = d.evaluate(now: 110)
        XCTAssertEqual(s.first?.kind, .failover)
        XCTAssertEqual(s.first?.members, [vpn])
        XCTAssertEqual(s.first?.reason, "er-secondary down: BFD down")
        XCTAssertEqual(d.groups[0].noRedundancy, "no redundancy: er-primary, er-secondary are not usable (BFD down)")
        // Both at once from the full set.
        var e = started()
        down(&e, p1, 100); down(&e, p2, 100)
        XCTAssertEqual(e.evaluate(now: 100).first?.reason, "er-primary + er-secondary down: BFD down")
        XCTAssertEqual(e.activeMembers(group: 0), [vpn])

        // Repairs: the secondary first, then the primary inside its hold-down: the failback takes
        // the members up for the hold-down, the other joins after its own.
        up(&d, p2, 300)
        up(&d, p1, 800)
        XCTAssertEqual(d.nextDeadline(now: 800), 300 + hold)
        let back = d.evaluate(now: 300 + hold)
        XCTAssertEqual(back.first?.kind, .failback)
        XCTAssertEqual(back.first?.members, [p2])
        XCTAssertEqual(d.nextDeadline(now: 300 + hold), 800 + hold)
        let join = d.evaluate(now: 800 + hold)
        XCTAssertEqual(join.first?.members, [p1, p2])

        // Both repaired at once: back to both in one switch.
        up(&e, p1, 500); up(&e, p2, 500)
        XCTAssertEqual(e.evaluate(now: 500 + hold).first?.members, [p1, p2])
    }

    func testFailoverToATierTakesEveryMemberUpWithoutWaiting() {
        // Paths: vpn (10) preferred, the two links (20) behind it.
        var d = Decision(paths: [
            PathSpec(name: "a", priority: 20, signals: [.carrier]),
            PathSpec(name: "b", priority: 20, signals: [.carrier]),
            PathSpec(name: "top", priority: 10, signals: [.carrier]),
        ], groups: [GroupSpec(name: "g", members: [0, 1, 2], holdDownMs: 60_000)])
        for p in 0..<3 { d.signal(path: p, .carrier, .up, reason: "carrier up", now: 0) }
        XCTAssertEqual(d.evaluate(now: 0).first?.members, [2])
        d.signal(path: 1, .carrier, .up, reason: "carrier up", now: 5)   // no change
        d.signal(path: 2, .carrier, .down, reason: "carrier lost", now: 10)
        XCTAssertEqual(d.evaluate(now: 10).first?.members, [0, 1])
    }

    func testAMemberUpButInsideItsHoldDownCarriesAtOnceWhenTheSetFails() {
        var d = started()
        down(&d, p2, 100)
        _ = d.evaluate(now: 100)
        up(&d, p2, 200)
        down(&d, p1, 300)   // p2 is up but still inside its hold-down: failover never waits
        let s = d.evaluate(now: 300)
        XCTAssertEqual(s.first?.members, [p2])
        XCTAssertEqual(s.first?.kind, .failover)
    }

    func testRedundancyAlarmConcernsWhatIsOutsideTheSet() {
        var d = started()
        down(&d, vpn, 50)
        XCTAssertTrue(d.evaluate(now: 50).isEmpty)
        XCTAssertEqual(d.groups[0].noRedundancy, "no redundancy: vpn is not usable (BFD down)")
        // One link down while the other carries, the VPN down too: both named.
        down(&d, p1, 60)
        _ = d.evaluate(now: 60)
        XCTAssertEqual(d.groups[0].noRedundancy, "no redundancy: er-primary, vpn are not usable (BFD down)")
        // A group of two links only: they back each other up.
        var two = Decision(paths: [
            PathSpec(name: "a", priority: 10, signals: [.carrier]),
            PathSpec(name: "b", priority: 10, signals: [.carrier]),
        ], groups: [GroupSpec(name: "g", members: [0, 1], holdDownMs: 0)])
        for p in 0..<2 { two.signal(path: p, .carrier, .up, reason: "carrier up", now: 0) }
        XCTAssertEqual(two.evaluate(now: 0).first?.members, [0, 1])
        XCTAssertNil(two.groups[0].noRedundancy)
    }

    func testAdoptionKeepsTheKernelsSet() {
        var d = make()
        d.adopt(group: 0, members: [p2, p1], now: 0)
        XCTAssertEqual(d.activeMembers(group: 0), [p1, p2], "preference order, lead first")
        for p in [p1, p2, vpn] { up(&d, p, 0) }
        XCTAssertTrue(d.evaluate(now: 0).isEmpty)
        var e = make()
        e.adopt(group: 0, members: [p2], now: 0)
        for p in [p1, p2, vpn] { up(&e, p, 0) }
        XCTAssertTrue(e.evaluate(now: 0).isEmpty, "the other link joins after its hold-down")
        XCTAssertEqual(e.evaluate(now: hold).first?.members, [p1, p2])
    }

    func testStartUpWithHealthUnknownTakesTheTierAndDropsWhatTurnsOutDown() {
        var d = make()
        XCTAssertEqual(d.evaluate(now: 0).first?.members, [p1, p2])
        down(&d, p2, 5)
        XCTAssertEqual(d.evaluate(now: 5).first?.members, [p1])
    }
}
