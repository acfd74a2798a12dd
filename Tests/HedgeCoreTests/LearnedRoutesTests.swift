import XCTest
@testable import HedgeCore

/// What the BGP sessions have taught the groups: the stale table across a session's end, its
/// deadline, the seed from the kernel at start-up, and the merge into the groups' prefixes.
final class LearnedRoutesTests: XCTestCase {
    func p(_ s: String) -> IPPrefix { IPPrefix(s)! }
    func ps(_ s: [String]) -> [IPPrefix] { s.map { p($0) } }
    func set(_ s: [String]) -> HashSet<IPPrefix> { HashSet(ps(s)) }

    // MARK: The stale table

    func testASessionsEndKeepsItsRoutesStale() {
        var l = LearnedRoutes()
        let g0 = l.generation
        l.withdrawn(ps(["10.200.0.0/16", "10.201.0.0/16"]), established: false)
        XCTAssertEqual(l.stale, set(["10.200.0.0/16", "10.201.0.0/16"]))
        XCTAssertNotEqual(l.generation, g0)
        l.sessionDown()
        XCTAssertNil(l.staleDeadline, "no deadline while the session is down: they fail over and stay")
        XCTAssertFalse(l.expire(now: 1_000_000))
        XCTAssertEqual(l.stale.count, 2)
    }

    func testThePeersOwnWithdrawalRemoves() {
        var l = LearnedRoutes()
        l.withdrawn(ps(["10.200.0.0/16", "10.201.0.0/16"]), established: false)
        l.withdrawn(ps(["10.200.0.0/16"]), established: true)
        XCTAssertEqual(l.stale, set(["10.201.0.0/16"]))
    }

    func testReceivedAgainIsConfirmed() {
        var l = LearnedRoutes()
        l.withdrawn(ps(["10.200.0.0/16", "10.201.0.0/16"]), established: false)
        let g = l.generation
        l.received(ps(["10.9.0.0/16"]))
        XCTAssertEqual(l.generation, g, "nothing stale changed")
        l.received(ps(["10.200.0.0/16"]))
        XCTAssertEqual(l.stale, set(["10.201.0.0/16"]))
        XCTAssertNotEqual(l.generation, g)
    }

    func testStaleDeadlineAfterTheSessionIsBack() {
        var l = LearnedRoutes()
        l.sessionUp(now: 100)
        XCTAssertNil(l.staleDeadline, "nothing stale: no deadline")
        l.withdrawn(ps(["10.200.0.0/16", "2001:db8:200::/48"]), established: false)
        l.sessionUp(now: 1000)
        XCTAssertEqual(l.staleDeadline, 1000 + LearnedRoutes.staleMs)
        XCTAssertFalse(l.expire(now: 1000 + LearnedRoutes.staleMs - 1))
        XCTAssertEqual(l.stale.count, 2)
        XCTAssertTrue(l.expire(now: 1000 + LearnedRoutes.staleMs))
        XCTAssertTrue(l.stale.isEmpty)
        XCTAssertNil(l.staleDeadline)
        XCTAssertFalse(l.expire(now: 1_000_000))
    }

    func testEndOfRIBPurgesItsFamilyOnly() {
        var l = LearnedRoutes()
        l.withdrawn(ps(["10.200.0.0/16", "2001:db8:200::/48"]), established: false)
        l.sessionUp(now: 0)
        XCTAssertTrue(l.endOfRIB(.ipv4Unicast))
        XCTAssertEqual(l.stale, set(["2001:db8:200::/48"]))
        XCTAssertNotNil(l.staleDeadline, "IPv6 still waits")
        XCTAssertFalse(l.endOfRIB(.ipv4Unicast), "nothing left of the family")
        XCTAssertTrue(l.endOfRIB(.ipv6Unicast))
        XCTAssertNil(l.staleDeadline, "nothing stale: no deadline")
    }

    func testPurgeAll() {
        var l = LearnedRoutes()
        XCTAssertFalse(l.purgeStale(family: nil))
        l.withdrawn(ps(["10.200.0.0/16", "2001:db8:200::/48"]), established: false)
        XCTAssertTrue(l.purgeStale(family: nil))
        XCTAssertTrue(l.stale.isEmpty)
    }

    // MARK: With the session's Adj-RIB-In

    func testLearnedIsTheSessionsThenTheStale() {
        var s = establishedSession()
        _ = s.received(update(["10.200.0.0/16", "10.201.0.0/16"]), now: 30)
        var l = LearnedRoutes()
        l.withdrawn(ps(["10.9.0.0/16"]), established: false)
        XCTAssertEqual(l.count(s), 3)
        XCTAssertEqual(l.all(s), ps(["10.200.0.0/16", "10.201.0.0/16", "10.9.0.0/16"]))
    }

    // MARK: The seed from the kernel

    let text = """
        router-id 192.168.10.1;
        local-as 65010;
        path er { priority 10; device er0; gateway 192.168.10.2; bgp 192.168.10.2 { remote-as 12076; } }
        path er2 { priority 15; device er1; gateway 192.168.11.2; bgp 192.168.11.2 { remote-as 12076; } }
        path vpn { priority 20; device vpn0; }
        path lab { priority 30; device lab0; gateway 10.0.0.1; bgp 10.0.0.1 { remote-as 65020; } }
        group azure { paths er er2 vpn; prefix 10.9.0.0/16; nexthop-id 100; }
        group lab { paths lab; nexthop-id 200; }
        """

    func config() throws -> HedgeConfig {
        let r = ConfigLoader.parse(text, file: "t.conf")
        return try XCTUnwrap(r.config, r.diagnostics.map { $0.description }.joined(separator: "\n"))
    }

    func testSeedTakesTheGroupsRoutesFromHedgesTable() throws {
        let c = try config()
        let t = c.kernel.table
        var routes = RouteTable()
        func add(_ s: String, table: UInt32, _ target: RouteTarget) {
            routes[RouteKey(prefix: p(s), table: table, metric: 0)] =
                RouteSpec(prefix: p(s), table: table, metric: 0, target: target, protocolID: 0)
        }
        add("10.200.0.0/16", table: t, .nexthop(100))
        add("2001:db8:200::/48", table: t, .nexthop(101))   // the group's IPv6 object
        add("10.202.0.0/16", table: t, .via(gateway: IPAddress("192.168.10.2"), ifindex: 3))
        add("10.9.0.0/16", table: t, .nexthop(100))         // a static prefix: not learned
        add("10.201.0.0/16", table: t &+ 1, .nexthop(100))  // another table
        add("10.250.0.0/16", table: t, .nexthop(200))       // the lab group's
        let seeds = LearnedRoutes.seed(config: c, paths: [0, 1, 3], routes: routes)
        XCTAssertEqual(seeds.count, 3)
        XCTAssertEqual(seeds[0], set(["10.200.0.0/16", "2001:db8:200::/48", "10.202.0.0/16"]))
        XCTAssertEqual(seeds[1], [], "the group is seeded once, into its first session")
        XCTAssertEqual(seeds[2], set(["10.250.0.0/16", "10.202.0.0/16"]), "a gateway route follows any group")
        var l = LearnedRoutes()
        let g = l.generation
        l.seed(seeds[0])
        XCTAssertEqual(l.stale.count, 3)
        XCTAssertNotEqual(l.generation, g)
    }

    // MARK: The merge into the groups

    func testMergeAddsLearnedPrefixesToTheLearningGroup() throws {
        let c = try config()
        let (m, ignored) = LearnedRoutes.merge(c, learned: [
            (path: 0, prefixes: ps(["10.201.0.0/16", "10.200.0.0/16", "10.9.0.0/16"])),
            (path: 1, prefixes: ps(["10.200.0.0/16", "10.203.0.0/16"])),
            (path: 3, prefixes: ps(["10.250.0.0/16"])),
        ])
        XCTAssertEqual(m.groups[0].prefixes, ps(["10.9.0.0/16", "10.200.0.0/16", "10.201.0.0/16", "10.203.0.0/16"]),
                       "statics first, then each session's in order, each prefix once")
        XCTAssertEqual(m.groups[1].prefixes, ps(["10.250.0.0/16"]))
        XCTAssertEqual(ignored, [1, 1, 0], "a static prefix, and one another session taught first")
        XCTAssertEqual(m.paths.count, c.paths.count)
    }

    func testMergeLeavesOutAFamilyTheGroupCannotCarry() throws {
        let c = try config()
        XCTAssertTrue(c.groupCarries(0, v6: false))
        XCTAssertFalse(c.groupCarries(0, v6: true), "er has no IPv6 gateway")
        let (m, ignored) = LearnedRoutes.merge(c, learned: [(path: 0, prefixes: ps(["2001:db8:200::/48", "10.200.0.0/16"]))])
        XCTAssertEqual(m.groups[0].prefixes, ps(["10.9.0.0/16", "10.200.0.0/16"]))
        XCTAssertEqual(ignored, [1])
    }

    func testMergeWithNothingLearned() throws {
        let c = try config()
        let (m, ignored) = LearnedRoutes.merge(c, learned: [])
        XCTAssertEqual(m.groups.map { $0.prefixes }, c.groups.map { $0.prefixes })
        XCTAssertEqual(ignored, [])
        let vpn = LearnedRoutes.merge(c, learned: [(path: 2, prefixes: ps(["10.1.0.0/16"]))])
        XCTAssertEqual(vpn.ignored, [0])
        XCTAssertEqual(vpn.config.groups[0].prefixes, ps(["10.9.0.0/16", "10.1.0.0/16"]), "the first group listing the path")
    }

    // MARK: Helpers

    func establishedSession() -> Session {
        let c = SessionConfig(localAS: 65001, routerID: 0x0A00_0001, peerAS: 12076, mode: .passive, holdTime: 90)
        var s = Session(config: c)
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 10)
        let open = (try? BGPMessage.open(OpenMessage(asNumber: 12076, holdTime: 180, bgpIdentifier: 0x0A00_0002,
                                                     families: [.ipv4Unicast, .ipv6Unicast])).encode()) ?? []
        _ = s.received(open + ((try? BGPMessage.keepalive.encode()) ?? []), now: 20)
        XCTAssertEqual(s.state, .established)
        return s
    }

    func update(_ nlri: [String]) -> [UInt8] {
        (try? BGPMessage.update(UpdateMessage(attributes: PathAttributes(origin: .igp, asPath: [.sequence([12076])],
                                                                        nextHop: IPAddress("192.168.1.1")),
                                              nlri: ps(nlri))).encode()) ?? []
    }
}
