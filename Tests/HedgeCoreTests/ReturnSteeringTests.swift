import XCTest
@testable import HedgeCore

final class ReturnSteeringTests: XCTestCase {
    func p(_ s: String) -> IPPrefix { IPPrefix(s)! }

    func testHalvesOfIPv4AndIPv6() {
        XCTAssertEqual(ReturnSteering.halves(p("172.16.0.0/24")), [p("172.16.0.0/25"), p("172.16.0.128/25")])
        XCTAssertEqual(ReturnSteering.halves(p("0.0.0.0/0")), [p("0.0.0.0/1"), p("128.0.0.0/1")])
        XCTAssertEqual(ReturnSteering.halves(p("10.0.0.0/31")), [p("10.0.0.0/32"), p("10.0.0.1/32")])
        XCTAssertEqual(ReturnSteering.halves(p("2001:db8::/32")), [p("2001:db8::/33"), p("2001:db8:8000::/33")])
        XCTAssertEqual(ReturnSteering.halves(p("2001:db8::/64")), [p("2001:db8::/65"), p("2001:db8::8000:0:0:0/65")])
    }

    func testHostPrefixIsNeverSplit() {
        XCTAssertEqual(ReturnSteering.halves(p("172.16.0.1/32")), [p("172.16.0.1/32")])
        XCTAssertEqual(ReturnSteering.halves(p("2001:db8::1/128")), [p("2001:db8::1/128")])
        let a = ReturnSteering.announcements(base: [p("172.16.0.1/32")], steering: true, limit: 4000)
        XCTAssertEqual(a.prefixes, [p("172.16.0.1/32")])
        XCTAssertEqual(a.moreSpecifics, 0)
    }

    func testAnnouncementsWithAndWithoutSteering() {
        let base = [p("172.16.0.0/24"), p("172.17.0.0/16")]
        XCTAssertEqual(ReturnSteering.announcements(base: base, steering: false, limit: 4000).prefixes, base)
        let a = ReturnSteering.announcements(base: base, steering: true, limit: 4000)
        XCTAssertEqual(a.prefixes, base + [p("172.16.0.0/25"), p("172.16.0.128/25"), p("172.17.0.0/17"), p("172.17.128.0/17")])
        XCTAssertEqual(a.moreSpecifics, 4)
        XCTAssertEqual(a.unsteered, 0)
    }

    func testStaysWithinTheGatewaysLimitAndSteersWholePrefixes() {
        let base = [p("172.16.0.0/24"), p("172.17.0.0/24"), p("172.18.0.0/24")]
        let a = ReturnSteering.announcements(base: base, steering: true, limit: 6)
        XCTAssertEqual(a.prefixes.count, 5)      // 3 + one prefix's two halves; a third half would split a prefix
        XCTAssertEqual(a.moreSpecifics, 2)
        XCTAssertEqual(a.unsteered, 2)
        XCTAssertLessThanOrEqual(ReturnSteering.announcements(base: base, steering: true, limit: 2).prefixes.count, 3)
    }

    func testAHalfAlreadyAnnouncedIsNotRepeated() {
        let base = [p("172.16.0.0/24"), p("172.16.0.0/25")]
        let a = ReturnSteering.announcements(base: base, steering: true, limit: 4000)
        XCTAssertEqual(Set(a.prefixes.map { "\($0)" }).count, a.prefixes.count)
    }

    func testSteersOnlyWhileAGroupIsFailedOverOntoThePath() {
        // paths: 0 expressroute, 1 vpn; one group preferring 0
        XCTAssertFalse(ReturnSteering.steers(path: 1, groups: [(preference: [0, 1], active: 0)]))
        XCTAssertTrue(ReturnSteering.steers(path: 1, groups: [(preference: [0, 1], active: 1)]))
        XCTAssertFalse(ReturnSteering.steers(path: 0, groups: [(preference: [0, 1], active: 0)]))
        XCTAssertFalse(ReturnSteering.steers(path: 1, groups: [(preference: [0, 1], active: nil)]))
        // a VPN-only group (its first choice is the VPN) never steers
        XCTAssertFalse(ReturnSteering.steers(path: 1, groups: [(preference: [1], active: 1)]))
        // two circuits and a VPN: on the second circuit, that circuit steers
        XCTAssertTrue(ReturnSteering.steers(path: 2, groups: [(preference: [0, 2, 1], active: 2)]))
        // the circuit's two links at one priority: the second carrying alone does not steer
        let tie: (Int, Int) -> Bool = { [0, 2].contains($0) == [0, 2].contains($1) }
        XCTAssertFalse(ReturnSteering.steers(path: 2, groups: [(preference: [0, 2, 1], active: 2)], samePriority: tie))
        XCTAssertTrue(ReturnSteering.steers(path: 1, groups: [(preference: [0, 2, 1], active: 1)], samePriority: tie))
    }
}
