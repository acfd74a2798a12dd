import XCTest
@testable import HedgeCore

/// The UPDATEs that bring a peer from what it has of ours to what we announce.
final class AdjRIBOutTests: XCTestCase {
    func p(_ s: String) -> IPPrefix { IPPrefix(s)! }
    let both: [AFISAFI] = [.ipv4Unicast, .ipv6Unicast]
    let ebgp = AdjRIBOut.Route(localAS: 65010, peerAS: 12076, local: IPAddress("192.168.10.1"))

    func testNothingWantedNothingSent() {
        var rib = AdjRIBOut()
        XCTAssertEqual(rib.updates(families: both, route: ebgp), AdjRIBOut.Updates())
        rib.want([])
        XCTAssertEqual(rib.updates(families: both, route: ebgp).messages, [])
    }

    func testAnnounceOnceThenNothingMore() {
        var rib = AdjRIBOut()
        rib.want([p("172.16.1.0/24"), p("172.16.0.0/24")])
        let u = rib.updates(families: both, route: ebgp)
        XCTAssertEqual(u.messages.count, 1)
        let m = u.messages[0]
        XCTAssertEqual(m.nlri, [p("172.16.0.0/24"), p("172.16.1.0/24")], "sorted")
        XCTAssertEqual(m.withdrawn, [])
        XCTAssertEqual(m.attributes.nextHop, IPAddress("192.168.10.1"), "our address on the connection")
        XCTAssertEqual(m.attributes.origin, .igp)
        XCTAssertEqual(m.attributes.asPath, [.sequence([65010])])
        XCTAssertNil(m.attributes.localPref)
        XCTAssertEqual(rib.sent, HashSet([p("172.16.0.0/24"), p("172.16.1.0/24")]))
        XCTAssertEqual(rib.updates(families: both, route: ebgp).messages, [], "the peer has it all")
    }

    func testWithdrawWhatIsNoLongerWanted() {
        var rib = AdjRIBOut()
        rib.want([p("172.16.0.0/24"), p("172.16.1.0/24")])
        _ = rib.updates(families: both, route: ebgp)
        rib.want([p("172.16.1.0/24"), p("172.16.2.0/24")])
        let u = rib.updates(families: both, route: ebgp)
        XCTAssertEqual(u.messages.count, 2)
        XCTAssertEqual(u.messages[0].withdrawn, [p("172.16.0.0/24")], "withdrawals first")
        XCTAssertEqual(u.messages[0].attributes, PathAttributes(), "a withdrawal carries no attributes")
        XCTAssertEqual(u.messages[1].nlri, [p("172.16.2.0/24")])
        rib.want([])
        XCTAssertEqual(rib.updates(families: both, route: ebgp).messages.map { $0.withdrawn },
                       [[p("172.16.1.0/24"), p("172.16.2.0/24")]])
        XCTAssertTrue(rib.sent.isEmpty)
    }

    func testIPv6InMultiprotocolAttributes() {
        var rib = AdjRIBOut()
        rib.want([p("2001:db8:1::/48"), p("172.16.0.0/24")])
        var r = ebgp
        r.nextHopV6 = IPAddress("2001:db8::1")
        let u = rib.updates(families: both, route: r)
        XCTAssertEqual(u.messages.count, 2)
        XCTAssertEqual(u.messages[0].nlri, [p("172.16.0.0/24")], "IPv4 first")
        XCTAssertEqual(u.messages[1].nlri, [])
        XCTAssertEqual(u.messages[1].attributes.mpReach, MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!, nlri: [p("2001:db8:1::/48")]))
        XCTAssertNil(u.messages[1].attributes.nextHop)
        rib.want([p("172.16.0.0/24")])
        let w = rib.updates(families: both, route: r)
        XCTAssertEqual(w.messages.map { $0.attributes.mpUnreach }, [MPUnreachNLRI(family: .ipv6Unicast, withdrawn: [p("2001:db8:1::/48")])])
    }

    func testAFamilyWithoutNextHopWaits() {
        var rib = AdjRIBOut()
        rib.want([p("2001:db8:1::/48"), p("2001:db8:2::/48")])
        let u = rib.updates(families: both, route: ebgp)
        XCTAssertEqual(u.messages, [], "an IPv4 session and no IPv6 next hop: not announced")
        XCTAssertEqual(u.withoutNextHop, [AdjRIBOut.Waiting(family: .ipv6Unicast, count: 2)])
        XCTAssertTrue(rib.sent.isEmpty)
        var v6 = ebgp
        v6.local = IPAddress("2001:db8::2")
        XCTAssertEqual(rib.updates(families: both, route: v6).messages.first?.attributes.mpReach?.nextHop,
                       IPAddress("2001:db8::2"), "our IPv6 address on an IPv6 session")
    }

    func testFamiliesTheSessionDidNotNegotiate() {
        var rib = AdjRIBOut()
        rib.want([p("172.16.0.0/24"), p("2001:db8:1::/48")])
        var r = ebgp
        r.nextHopV6 = IPAddress("2001:db8::1")
        let u = rib.updates(families: [.ipv4Unicast], route: r)
        XCTAssertEqual(u.messages.count, 1)
        XCTAssertEqual(rib.sent, HashSet([p("172.16.0.0/24")]))
        XCTAssertEqual(rib.updates(families: both, only: .ipv4Unicast, route: r).messages, [])
        XCTAssertEqual(rib.updates(families: both, only: .ipv6Unicast, route: r).messages.count, 1)
    }

    func testAttributesOfEBGPAndIBGP() {
        var rib = AdjRIBOut()
        rib.want([p("172.16.0.0/24")])
        var prepended = ebgp
        prepended.prepend = 2
        prepended.nextHop = IPAddress("192.168.10.9")
        let e = rib.updates(families: both, route: prepended).messages[0].attributes
        XCTAssertEqual(e.asPath, [.sequence([65010, 65010, 65010])], "our AS and two more copies")
        XCTAssertEqual(e.nextHop, IPAddress("192.168.10.9"), "the configured next hop wins")
        rib.sessionReset()
        let i = rib.updates(families: both, route: AdjRIBOut.Route(localAS: 65010, peerAS: 65010, prepend: 2,
                                                                   local: IPAddress("192.168.10.1"))).messages[0].attributes
        XCTAssertEqual(i.asPath, [], "iBGP: an empty AS_PATH, never prepended")
        XCTAssertEqual(i.localPref, 100)
    }

    func testChangedAttributesAloneSendNothing() {
        // Attributes belong to the session: they change only with a new one, which starts over.
        var rib = AdjRIBOut()
        rib.want([p("172.16.0.0/24")])
        _ = rib.updates(families: both, route: ebgp)
        var other = ebgp
        other.prepend = 3
        XCTAssertEqual(rib.updates(families: both, route: other).messages, [])
        rib.sessionReset()
        XCTAssertEqual(rib.updates(families: both, route: other).messages.first?.attributes.asPath,
                       [.sequence([65010, 65010, 65010, 65010])])
    }

    func testRouteRefreshSendsTheFamilyAgain() {
        var rib = AdjRIBOut()
        rib.want([p("172.16.0.0/24"), p("2001:db8:1::/48")])
        var r = ebgp
        r.nextHopV6 = IPAddress("2001:db8::1")
        XCTAssertEqual(rib.updates(families: both, route: r).messages.count, 2)
        rib.refresh(.ipv6Unicast)
        XCTAssertEqual(rib.sent, HashSet([p("172.16.0.0/24")]))
        let u = rib.updates(families: both, only: .ipv6Unicast, route: r)
        XCTAssertEqual(u.messages.map { $0.announced }, [[p("2001:db8:1::/48")]])
    }

    func testManyPrefixesInChunks() {
        var v4: [IPPrefix] = []
        for i in 0..<1200 { v4.append(IPPrefix(address: .v4(0x0A00_0000 | UInt32(i) << 8), length: 24)!) }
        var v6: [IPPrefix] = []
        for i in 0..<400 { v6.append(IPPrefix(address: .v6(0x2001_0db8_0000_0000 | UInt64(i) << 16, 0), length: 48)!) }
        var rib = AdjRIBOut()
        rib.want(v6 + v4)
        var r = ebgp
        r.nextHopV6 = IPAddress("2001:db8::1")
        let u = rib.updates(families: both, route: r)
        XCTAssertEqual(u.messages.map { $0.announced.count }, [500, 500, 200, 150, 150, 100])
        XCTAssertEqual(u.messages.flatMap { $0.announced }, v4 + v6, "every prefix once, in order")
        for m in u.messages { XCTAssertLessThanOrEqual((try? BGPMessage.update(m).encode())?.count ?? .max, 4096) }
        rib.want(Array(v4.prefix(100)))
        let w = rib.updates(families: both, route: r)
        XCTAssertEqual(w.messages.map { $0.allWithdrawn.count }, [500, 500, 100, 150, 150, 100])
        XCTAssertEqual(rib.sent.count, 100)
    }
}
