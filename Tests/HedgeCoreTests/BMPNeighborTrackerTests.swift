import XCTest
@testable import HedgeCore

final class BMPNeighborTrackerTests: XCTestCase {
    let msee = IPAddress("10.78.0.2")!

    func m(_ b: [UInt8]) -> BMPMessage { try! BMPMessage.decode(b) }

    func tracker(peerAS: UInt32? = 12076) -> BMPNeighborTracker {
        BMPNeighborTracker(neighbor: msee, peerAS: peerAS, graceMs: 5_000)
    }

    /// FRR's own sequence: Initiation, Peer Up, the route, End-of-RIB; then the MSEE's admin shutdown.
    func testFRRSequence() throws {
        var t = tracker()
        XCTAssertEqual(t.feedStarted(now: 0)?.0, .unknown)
        XCTAssertNil(t.handle(m(BMPGolden.initiation), now: 1))
        let afterUp = t.handle(m(BMPGolden.peerUp), now: 2)
        XCTAssertEqual(afterUp?.0, .unknown, "Established is not enough: no routes yet")
        XCTAssertEqual(t.reason, "BMP: 10.78.0.2 (AS12076) Established (hold time 3 s), waiting for its routes")
        XCTAssertTrue(t.established)
        let up = t.handle(m(BMPGolden.routeAnnounce), now: 3)
        XCTAssertEqual(up?.0, .up)
        XCTAssertEqual(up?.1, "BMP: 10.78.0.2 (AS12076) Established with routes")
        XCTAssertEqual(t.prefixCount, 1)
        XCTAssertNil(t.handle(m(BMPGolden.eorPost), now: 4))
        XCTAssertNil(t.handle(m(BMPGolden.eorPre), now: 4))
        XCTAssertEqual(t.endOfRIB, [.ipv4Unicast])
        XCTAssertEqual(t.prefixCount, 1)
        XCTAssertNil(t.nextDeadline, "nothing left to wait for")

        let down = t.handle(m(BMPGolden.peerDownCease), now: 5)
        XCTAssertEqual(down?.0, .down)
        XCTAssertEqual(down?.1, "BMP: Peer Down of 10.78.0.2: remote system closed the session with NOTIFICATION "
                       + "Cease / Administrative Shutdown (BMP reason 3)")
        XCTAssertEqual(t.prefixCount, 0)
        XCTAssertEqual(t.since, 5)
        XCTAssertNil(t.handle(m(BMPGolden.peerDownCease), now: 6), "FRR repeats it on every retry: no new change")

        XCTAssertEqual(t.handle(m(BMPGolden.peerUp), now: 7)?.0, .down, "back, but still no routes")
        XCTAssertEqual(t.handle(m(BMPGolden.routeAnnounce), now: 8)?.0, .up)

        XCTAssertEqual(t.handle(m(BMPGolden.peerDownLocalFSM), now: 9)?.1,
                       "BMP: Peer Down of 10.78.0.2: local system closed the session without NOTIFICATION (BMP reason 2)")
    }

    func testFeedLossIsUnknownNotDown() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        _ = t.handle(m(BMPGolden.peerUp), now: 1)
        _ = t.handle(m(BMPGolden.routeAnnounce), now: 1)
        XCTAssertEqual(t.health, .up)
        let lost = t.feedLost("connection closed by the router", now: 2)
        XCTAssertEqual(lost?.0, .unknown)
        XCTAssertEqual(lost?.1, "BMP feed lost: connection closed by the router")
        XCTAssertEqual(t.prefixCount, 0)

        var u = tracker()
        _ = u.feedStarted(now: 0)
        _ = u.handle(m(BMPGolden.peerUp), now: 1)
        _ = u.handle(m(BMPGolden.routeAnnounce), now: 1)
        let term = u.handle(m(BMPEncode.termination(reason: 0, text: "maintenance")), now: 2)
        XCTAssertEqual(term?.0, .unknown)
        XCTAssertEqual(term?.1, "BMP feed lost: Termination: session administratively closed: maintenance")
    }

    func testNoPeerUpWithinGraceIsDown() throws {
        var t = tracker()
        _ = t.feedStarted(now: 1_000)
        XCTAssertEqual(t.nextDeadline, 6_000)
        XCTAssertNil(t.tick(now: 5_999))
        let d = t.tick(now: 6_000)
        XCTAssertEqual(d?.0, .down)
        XCTAssertEqual(d?.1, "BMP: no Peer Up for 10.78.0.2 within 5 s of the feed's start")
        XCTAssertNil(t.nextDeadline)
        // It comes up later after all.
        _ = t.handle(m(BMPGolden.peerUp), now: 7_000)
        XCTAssertEqual(t.handle(m(BMPGolden.routeAnnounce), now: 7_001)?.0, .up)
    }

    func testEstablishedWithoutRoutesIsDownAfterGrace() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        _ = t.handle(m(BMPGolden.peerUp), now: 100)
        XCTAssertEqual(t.nextDeadline, 5_100)
        // End-of-RIB alone does not make it up.
        XCTAssertNil(t.handle(m(BMPGolden.eorPre), now: 200))
        XCTAssertEqual(t.health, .unknown)
        let d = t.tick(now: 5_100)
        XCTAssertEqual(d?.0, .down)
        XCTAssertEqual(d?.1, "BMP: 10.78.0.2 (AS12076) Established but sent no routes within 5 s")
        XCTAssertEqual(t.handle(m(BMPGolden.routeAnnounce), now: 6_000)?.0, .up)
    }

    /// FRR's pre-policy without `soft-reconfiguration inbound`: it reports a withdrawal.
    func testWithdrawingEverythingIsDown() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        _ = t.handle(m(BMPGolden.peerUp), now: 1)
        _ = t.handle(m(BMPEncode.announce(["10.200.0.0/16", "10.201.0.0/16"])), now: 2)
        XCTAssertEqual(t.prefixCount, 2)
        XCTAssertEqual(t.health, .up)
        XCTAssertNil(t.handle(m(BMPEncode.withdraw(["10.201.0.0/16"])), now: 3))
        XCTAssertEqual(t.prefixCount, 1)
        let d = t.handle(m(BMPGolden.routeWithdraw), now: 4)
        XCTAssertEqual(d?.0, .down)
        XCTAssertEqual(d?.1, "BMP: 10.78.0.2 withdrew all its routes")
    }

    func testPostPolicyCountsAndAdjRIBOutDoesNot() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        _ = t.handle(m(BMPGolden.peerUp), now: 1)
        var out = BMPEncode.msee
        out.flags = BMPPeerHeader.flagO
        XCTAssertNil(t.handle(m(BMPEncode.announce(["192.168.0.0/24"], peer: out)), now: 2), "routes the CE sends the MSEE")
        XCTAssertEqual(t.prefixCount, 0)
        var post = BMPEncode.msee
        post.flags = BMPPeerHeader.flagL
        XCTAssertEqual(t.handle(m(BMPEncode.announce(["10.200.0.0/16"], peer: post)), now: 3)?.0, .up)
        XCTAssertEqual(t.prefixCount, 0)
        XCTAssertEqual(t.postPolicyPrefixCount, 1)
    }

    func testOtherPeersAndOtherASAreIgnored() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        let other = BMPPeerHeader(address: IPAddress("10.78.0.6")!, asNumber: 12076, bgpID: 6)
        XCTAssertNil(t.handle(m(BMPEncode.peerDown(other, .remoteNoNotification)), now: 1))
        var wrongAS = BMPEncode.msee
        wrongAS.asNumber = 65099
        XCTAssertNil(t.handle(m(BMPEncode.peerDown(wrongAS, .remoteNoNotification)), now: 1))
        XCTAssertEqual(t.otherAS, 65099)
        XCTAssertEqual(t.tick(now: 5_000)?.1,
                       "BMP: no Peer Up for 10.78.0.2 within 5 s of the feed's start (a session with AS65099 is there, not AS12076)")
        // Without a configured AS, any AS will do.
        var any = tracker(peerAS: nil)
        _ = any.feedStarted(now: 0)
        XCTAssertEqual(any.handle(m(BMPEncode.peerDown(wrongAS, .remoteNoNotification)), now: 1)?.0, .down)
    }

    func testV4MappedNeighbour() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        let p = BMPPeerHeader(flags: BMPPeerHeader.flagV, address: IPAddress("::ffff:10.78.0.2")!, asNumber: 12076, bgpID: 2)
        XCTAssertEqual(t.handle(m(BMPEncode.peerDown(p, .peerDeconfigured)), now: 1)?.0, .down)
    }

    func testMalformedUpdateIsCounted() throws {
        var t = tracker()
        _ = t.feedStarted(now: 0)
        _ = t.handle(m(BMPGolden.peerUp), now: 1)
        // The 2-octet UPDATE read as 4-octet: AS_PATH malformed, treated as withdraw.
        XCTAssertNil(t.handle(m(BMPGolden.routeAnnounce2Octet), now: 2))
        XCTAssertEqual(t.prefixCount, 0)
        // An UPDATE whose withdrawn length overruns it: unreadable.
        let bad = BMPEncode.message(0, BMPEncode.peer(BMPEncode.msee) + [UInt8](repeating: 0xFF, count: 16) + [0, 23, 2, 0, 9, 0, 0])
        XCTAssertNil(t.handle(m(bad), now: 3))
        XCTAssertEqual(t.malformedUpdates, 1)
    }

    func testMerge() throws {
        var up = tracker(), down = tracker(), unknown = tracker()
        _ = up.feedStarted(now: 0); _ = down.feedStarted(now: 0); _ = unknown.feedStarted(now: 0)
        _ = up.handle(m(BMPGolden.peerUp), now: 1)
        _ = up.handle(m(BMPGolden.routeAnnounce), now: 1)
        _ = down.handle(m(BMPGolden.peerDownCease), now: 1)
        XCTAssertEqual(BMPNeighborTracker.merge([down, up, unknown], none: "none").0, .up)
        XCTAssertEqual(BMPNeighborTracker.merge([unknown, down], none: "none").0, .down)
        XCTAssertEqual(BMPNeighborTracker.merge([unknown], none: "none").0, .unknown)
        let none = BMPNeighborTracker.merge([], none: "BMP feed lost: x")
        XCTAssertEqual(none.0, .unknown)
        XCTAssertEqual(none.1, "BMP feed lost: x")
    }
}
