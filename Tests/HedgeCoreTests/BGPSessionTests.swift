import XCTest
@testable import HedgeCore

/// The session FSM walked with a fake clock: every step gives `(event, now)` and checks the actions.
final class BGPSessionTests: XCTestCase {

    func config(_ mode: SessionConfig.Mode = .passive, maxPrefixes: HashMap<AFISAFI, Int> = [:]) -> SessionConfig {
        SessionConfig(localAS: 65001, routerID: 0x0A00_0001, peerAS: 12076, mode: mode, holdTime: 90,
                      maxPrefixes: maxPrefixes)
    }

    func bytes(_ m: BGPMessage) -> [UInt8] { (try? m.encode()) ?? [] }

    var peerOpen: [UInt8] {
        bytes(.open(OpenMessage(asNumber: 12076, holdTime: 180, bgpIdentifier: 0x0A00_0002,
                                families: [.ipv4Unicast, .ipv6Unicast])))
    }

    func sent(_ actions: [SessionAction]) -> [ReceivedMessage] {
        actions.compactMap { if case .send(let b) = $0 { return try? BGPMessage.decode(b) } else { return nil } }
    }

    func states(_ actions: [SessionAction]) -> [SessionState] {
        actions.compactMap { if case .stateChanged(_, let to, _) = $0 { return to } else { return nil } }
    }

    func withdrawn(_ actions: [SessionAction]) -> [IPPrefix] {
        actions.flatMap { a -> [IPPrefix] in if case .withdraw(let p) = a { return p } else { return [] } }
    }

    func announced(_ actions: [SessionAction]) -> [IPPrefix] {
        actions.flatMap { a -> [IPPrefix] in if case .announce(let r) = a { return r.prefixes } else { return [] } }
    }

    func update(_ nlri: [String], withdrawn: [String] = []) -> [UInt8] {
        bytes(.update(UpdateMessage(withdrawn: withdrawn.map { IPPrefix($0)! },
                                    attributes: PathAttributes(origin: .igp, asPath: [.sequence([12076])],
                                                               nextHop: IPAddress("192.168.1.1")),
                                    nlri: nlri.map { IPPrefix($0)! })))
    }

    /// Passive start, the peer connects at 10 and its OPEN and KEEPALIVE arrive at 20.
    func established(_ c: SessionConfig? = nil) -> Session {
        var s = Session(config: c ?? config())
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 10)
        _ = s.received(peerOpen + bytes(.keepalive), now: 20)
        XCTAssertEqual(s.state, .established)
        return s
    }

    // MARK: Walks

    func testPassiveOpenToEstablished() throws {
        var s = Session(config: config())
        var a = s.handle(.manualStart, now: 0)
        XCTAssertEqual(a, [.stateChanged(from: .idle, to: .active, reason: .manualStart)])
        XCTAssertNil(s.nextDeadline, "passive: no connect retry")

        a = s.handle(.tcpConnectionConfirmed, now: 10)
        XCTAssertEqual(a.first, .accept)
        guard case .open(let ours)? = sent(a).first else { return XCTFail("\(a)") }
        XCTAssertEqual(ours.asNumber, 65001)
        XCTAssertEqual(ours.holdTime, 90)
        XCTAssertTrue(a.contains(.armTimer(.hold, at: 10 + 240_000)), "a large hold time until the OPEN comes")
        XCTAssertEqual(states(a), [.openSent])

        // The peer's OPEN and KEEPALIVE in one segment, cut in two reads.
        let stream = peerOpen + bytes(.keepalive)
        a = s.received(stream[0..<30], now: 20)
        XCTAssertEqual(a, [])
        a = s.received(stream[30...], now: 20)
        XCTAssertEqual(sent(a), [.keepalive])
        XCTAssertEqual(states(a), [.openConfirm, .established])
        XCTAssertTrue(a.contains(.armTimer(.keepalive, at: 20 + 30_000)))
        XCTAssertEqual(s.negotiated?.holdMs, 90_000, "min(90, 180)")
        XCTAssertEqual(s.negotiated?.keepaliveMs, 30_000)
        XCTAssertEqual(s.negotiated?.peerAS, 12076)
        XCTAssertEqual(s.negotiated?.families, [.ipv4Unicast, .ipv6Unicast])
        XCTAssertEqual(s.negotiated?.codec, CodecOptions(fourOctetAS: true, external: true))
        XCTAssertEqual(s.nextDeadline, 20 + 30_000)
        XCTAssertEqual(s.establishedTransitions, 1)
    }

    func testActiveConnectRetryAndFailure() {
        var s = Session(config: config(.active))
        var a = s.handle(.manualStart, now: 0)
        XCTAssertEqual(a, [.stateChanged(from: .idle, to: .connect, reason: .manualStart), .connect,
                           .armTimer(.connectRetry, at: 30_000)])
        a = s.handle(.tcpConnectionFails, now: 5)
        XCTAssertEqual(states(a), [.active], "wait for the retry timer, as bgpd")
        a = s.tick(now: 30_000)
        XCTAssertEqual(a, [.connect, .armTimer(.connectRetry, at: 60_000),
                           .stateChanged(from: .active, to: .connect, reason: .connectRetry)])
        a = s.handle(.tcpConnectionAcknowledged, now: 30_100)
        XCTAssertEqual(states(a), [.openSent])
        XCTAssertTrue(a.contains(.disarmTimer(.connectRetry)))
        // An incoming connection now is refused: the session has one.
        XCTAssertEqual(s.handle(.tcpConnectionConfirmed, now: 30_200), [.refuse])
        // The connection drops before the OPEN: back to Active with the retry timer.
        a = s.handle(.tcpConnectionFails, now: 30_300)
        XCTAssertEqual(states(a), [.active])
        XCTAssertEqual(s.timers.deadline(.connectRetry), 30_300 + 30_000)
        XCTAssertNil(s.timers.deadline(.hold))
    }

    func testIncomingConnectionInConnectCancelsTheAttempt() {
        var s = Session(config: config(.active))
        _ = s.handle(.manualStart, now: 0)
        let a = s.handle(.tcpConnectionConfirmed, now: 1)
        XCTAssertEqual(Array(a.prefix(2)), [.cancelConnect, .accept])
        XCTAssertEqual(s.state, .openSent)
        XCTAssertEqual(s.handle(.tcpConnectionAcknowledged, now: 2), [], "a stale attempt is ignored")
    }

    func testHoldTimerExpirySendsNotification4AndGoesIdle() {
        var s = established()
        XCTAssertEqual(s.tick(now: 20 + 30_000).compactMap { if case .send = $0 { return 1 } else { return nil } }, [1])
        XCTAssertEqual(sent(s.tick(now: 20 + 60_000)), [.keepalive])
        // At 90 s the hold timer and the third keepalive fall due together: the hold timer wins.
        let a = s.tick(now: 20 + 90_000)
        XCTAssertEqual(sent(a), [.notification(.holdTimerExpired)])
        XCTAssertEqual(bytes(.notification(.holdTimerExpired)).suffix(2), [4, 0])
        XCTAssertTrue(a.contains(.disconnect))
        XCTAssertEqual(states(a), [.idle])
        XCTAssertEqual(s.lastDown, .holdTimerExpired)
        XCTAssertTrue(s.lastDown!.isPathFailure)
        XCTAssertEqual(s.timers.deadline(.idleHold), 20 + 90_000 + 5_000)
        XCTAssertNil(s.timers.deadline(.keepalive))
    }

    func testKeepalivesKeepTheHoldTimerAlive() {
        var s = established()
        _ = s.received(bytes(.keepalive), now: 60_000)
        XCTAssertEqual(s.timers.deadline(.hold), 150_000)
        _ = s.tick(now: 149_999)
        XCTAssertEqual(s.state, .established)
        XCTAssertEqual(states(s.tick(now: 150_000)), [.idle])
    }

    func testBFDDownGoesIdleAtOnceAndWithdraws() {
        var s = established()
        let a0 = s.received(update(["10.200.0.0/16", "10.201.0.0/16"]), now: 100)
        XCTAssertEqual(announced(a0), [IPPrefix("10.200.0.0/16")!, IPPrefix("10.201.0.0/16")!])
        XCTAssertEqual(s.prefixCount(.ipv4Unicast), 2)
        let a = s.handle(.bfdDown, now: 200)
        XCTAssertEqual(sent(a), [], "the transport is dead: no NOTIFICATION by default")
        XCTAssertEqual(a.first, .disconnect)
        XCTAssertEqual(withdrawn(a), [IPPrefix("10.200.0.0/16")!, IPPrefix("10.201.0.0/16")!])
        XCTAssertEqual(states(a), [.idle])
        XCTAssertEqual(s.lastDown, .bfdDown)
        XCTAssertEqual(s.prefixCount(.ipv4Unicast), 0)
        XCTAssertEqual(s.received(bytes(.keepalive), now: 201), [], "bytes after the close are ignored")
    }

    func testBFDDownCanSendCeaseBFDDown() {
        var c = config()
        c.notifyOnBFDDown = true
        var s = established(c)
        XCTAssertEqual(sent(s.handle(.bfdDown, now: 200)), [.notification(.cease(.bfdDown))])
    }

    func testMaxPrefixSendsCease1AndGoesIdle() {
        var s = established(config(maxPrefixes: [.ipv4Unicast: 2, .ipv6Unicast: 100]))
        _ = s.received(update(["10.1.0.0/16", "10.2.0.0/16"]), now: 100)
        // A re-announcement of a known prefix does not count twice.
        XCTAssertEqual(s.received(update(["10.1.0.0/16"]), now: 110).contains { if case .announce = $0 { return true } else { return false } }, true)
        let a = s.received(update(["10.3.0.0/16"]), now: 120)
        XCTAssertEqual(sent(a), [.notification(.maximumPrefixes(.ipv4Unicast, limit: 2))])
        XCTAssertEqual(announced(a), [], "the UPDATE over the limit is not delivered")
        XCTAssertEqual(withdrawn(a), [IPPrefix("10.1.0.0/16")!, IPPrefix("10.2.0.0/16")!])
        XCTAssertEqual(states(a), [.idle])
        XCTAssertEqual(s.lastDown, .maximumPrefixes(.ipv4Unicast, limit: 2))
        XCTAssertEqual(s.lastDown?.description, "maximum prefixes reached: IPv4 unicast over 2")
    }

    func testMaxPrefixIsPerFamily() {
        var s = established(config(maxPrefixes: [.ipv6Unicast: 1]))
        _ = s.received(update(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]), now: 100)
        XCTAssertEqual(s.state, .established, "IPv4 is unlimited here")
        let v6 = UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [.sequence([12076])],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                 linkLocalNextHop: IPAddress("fe80::1"),
                                 nlri: [IPPrefix("2001:db8:1::/48")!, IPPrefix("2001:db8:2::/48")!])))
        let a = s.received(bytes(.update(v6)), now: 110)
        XCTAssertEqual(sent(a), [.notification(.maximumPrefixes(.ipv6Unicast, limit: 1))])
        XCTAssertEqual(withdrawn(a).count, 3)
    }

    func testPeerPrefixLimitIsToldApartFromABrokenCircuit() {
        var s = established()
        let a = s.received(bytes(.notification(.maximumPrefixes(.ipv4Unicast, limit: 4000))), now: 100)
        XCTAssertEqual(sent(a), [], "no NOTIFICATION answers a NOTIFICATION")
        XCTAssertEqual(states(a), [.idle])
        XCTAssertTrue(s.lastDown!.isPeerPrefixLimit)
        XCTAssertFalse(s.lastDown!.isPathFailure)
        XCTAssertEqual(s.lastDown?.description,
                       "NOTIFICATION received: Cease / Maximum Number of Prefixes Reached (IPv4 unicast, limit 4000)")
    }

    func testRestartWithExponentialBackoff() {
        var s = Session(config: config(.active))
        _ = s.handle(.manualStart, now: 0)
        var now: Millis = 0
        var waits: [Millis] = []
        for _ in 0..<8 {
            _ = s.handle(.tcpConnectionAcknowledged, now: now)
            XCTAssertEqual(s.state, .openSent)
            // The peer refuses us straight away.
            let a = s.received(bytes(.notification(.cease(.connectionRejected))), now: now + 1)
            XCTAssertEqual(states(a), [.idle])
            let at = s.timers.deadline(.idleHold)!
            waits.append(at - (now + 1))
            now = at
            let r = s.tick(now: now)
            XCTAssertEqual(r.first, .stateChanged(from: .idle, to: .connect, reason: .automaticStart))
            XCTAssertTrue(r.contains(.connect))
        }
        XCTAssertEqual(waits, [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000])

        // Established for longer than the current wait: the backoff starts over.
        _ = s.handle(.tcpConnectionAcknowledged, now: now)
        _ = s.received(peerOpen + bytes(.keepalive), now: now)
        XCTAssertEqual(s.state, .established)
        _ = s.received(bytes(.keepalive), now: now + 80_000)
        _ = s.received(bytes(.keepalive), now: now + 160_000)
        _ = s.received(bytes(.keepalive), now: now + 240_000)
        _ = s.received(bytes(.keepalive), now: now + 320_000)
        _ = s.handle(.tcpConnectionFails, now: now + 330_000)
        XCTAssertEqual(s.timers.deadline(.idleHold), now + 330_000 + 5_000)
    }

    func testManualStopSendsCease2AndStaysIdle() {
        var s = established()
        let a = s.handle(.manualStop, now: 100)
        XCTAssertEqual(sent(a), [.notification(.cease(.administrativeShutdown))])
        XCTAssertEqual(states(a), [.idle])
        XCTAssertNil(s.nextDeadline, "no automatic restart")
        XCTAssertEqual(s.handle(.tcpConnectionConfirmed, now: 200), [.refuse])
        XCTAssertEqual(states(s.handle(.manualStart, now: 300)), [.active])
    }

    func testBadPeerASIsAnOpenError() {
        var s = Session(config: config())
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 1)
        let wrong = bytes(.open(OpenMessage(asNumber: 65515, holdTime: 180, bgpIdentifier: 9, families: [.ipv4Unicast])))
        let a = s.received(wrong, now: 2)
        XCTAssertEqual(sent(a), [.notification(.open(.badPeerAS))])
        XCTAssertEqual(s.lastDown, .notificationSent(.open(.badPeerAS)))
    }

    func testUnexpectedMessagesAreFSMErrors() {
        var s = Session(config: config())
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 1)
        XCTAssertEqual(sent(s.received(bytes(.keepalive), now: 2)), [.notification(.fsm(.unexpectedMessageInOpenSent))])

        var e = established()
        XCTAssertEqual(sent(e.received(peerOpen, now: 30)), [.notification(.fsm(.unexpectedMessageInEstablished))])
    }

    func testHeaderErrorResetsTheSession() {
        var s = established()
        var junk = bytes(.keepalive)
        junk[0] = 0
        let a = s.received(junk, now: 30)
        XCTAssertEqual(sent(a), [.notification(.header(.connectionNotSynchronized))])
        XCTAssertEqual(states(a), [.idle])
    }

    func testTreatAsWithdrawKeepsTheSession() {
        var s = established()
        _ = s.received(update(["10.200.0.0/16", "10.201.0.0/16"]), now: 100)
        var bad = update(["10.200.0.0/16"])
        bad[19 + 4 + 3] = 7                          // ORIGIN value 7
        let a = s.received(bad, now: 110)
        XCTAssertEqual(s.state, .established)
        XCTAssertEqual(withdrawn(a), [IPPrefix("10.200.0.0/16")!])
        XCTAssertTrue(a.contains { if case .malformedUpdate = $0 { return true } else { return false } })
        XCTAssertEqual(s.prefixCount(.ipv4Unicast), 1)
    }

    func testUpdateSessionResetSendsUpdateError() {
        var s = established()
        var bad = update(["10.200.0.0/16"])
        bad[bad.count - 3] = 40                      // NLRI /40
        let a = s.received(bad, now: 110)
        XCTAssertEqual(sent(a), [.notification(.update(.invalidNetworkField))])
        XCTAssertEqual(states(a), [.idle])
    }

    func testWithdrawalsAndEndOfRIBAndRouteRefresh() throws {
        var s = established()
        _ = s.received(update(["10.1.0.0/16", "10.2.0.0/16"]), now: 100)
        var a = s.received(update([], withdrawn: ["10.1.0.0/16", "10.9.0.0/16"]), now: 110)
        XCTAssertEqual(withdrawn(a), [IPPrefix("10.1.0.0/16")!], "only what was received is withdrawn")
        a = s.received(bytes(.update(UpdateMessage())), now: 120)
        XCTAssertEqual(a.last, .endOfRIB(.ipv4Unicast))
        a = s.received(bytes(.routeRefresh(RouteRefreshMessage(family: .ipv6Unicast))), now: 130)
        XCTAssertEqual(a.last, .routeRefreshRequested(.ipv6Unicast))
        a = s.requestRouteRefresh(.ipv4Unicast, now: 140)
        XCTAssertEqual(sent(a), [.routeRefresh(RouteRefreshMessage(family: .ipv4Unicast))])
    }

    func testIPv6RoutesCarryBothNextHops() {
        var s = established()
        let v6 = UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [.sequence([12076])],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                 linkLocalNextHop: IPAddress("fe80::1"), nlri: [IPPrefix("2001:db8:1::/48")!])))
        let a = s.received(bytes(.update(v6)), now: 100)
        guard case .announce(let r)? = a.last else { return XCTFail("\(a)") }
        XCTAssertEqual(r.family, .ipv6Unicast)
        XCTAssertEqual(r.nextHop, IPAddress("2001:db8::1"))
        XCTAssertEqual(r.linkLocalNextHop, IPAddress("fe80::1"))
        XCTAssertNil(r.attributes.mpReach, "next hops are lifted out; prefixes are in `prefixes`")
    }

    func testSendUpdateRestartsTheKeepaliveTimer() throws {
        var s = established()
        let a = try s.send(update: UpdateMessage(nlri: []), now: 1_000)
        XCTAssertEqual(sent(a).count, 1)
        XCTAssertEqual(s.timers.deadline(.keepalive), 31_000)
        var idle = Session(config: config())
        XCTAssertEqual(try idle.send(update: UpdateMessage(), now: 0), [])
    }

    func testHoldTimeNegotiation() {
        XCTAssertEqual(negotiateHoldTime(ours: 90, theirs: 180).holdMs, 90_000)
        XCTAssertEqual(negotiateHoldTime(ours: 180, theirs: 10).keepaliveMs, 3_333)
        XCTAssertEqual(negotiateHoldTime(ours: 0, theirs: 180).holdMs, 0)
        XCTAssertEqual(negotiateHoldTime(ours: 2, theirs: 180).holdMs, 3_000, "1–2 s is raised to 3")

        // Hold 0: no hold timer, no keepalives.
        var c = config()
        c.holdTime = 0
        let s = established(c)
        XCTAssertNil(s.timers.deadline(.hold))
        XCTAssertNil(s.timers.deadline(.keepalive))
        XCTAssertNil(s.nextDeadline)
    }

    func testPeerHoldTimeOfTwoIsRejected() {
        var s = Session(config: config())
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 1)
        let a = s.received(bytes(.open(OpenMessage(asNumber: 12076, holdTime: 2, bgpIdentifier: 9, families: []))), now: 2)
        XCTAssertEqual(sent(a), [.notification(.open(.unacceptableHoldTime))])
    }

    func testTwoOctetPeerGetsTwoOctetUpdates() throws {
        var s = Session(config: config())
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 1)
        let old = OpenMessage(myAS: 12076, holdTime: 180, bgpIdentifier: 9, capabilities: [.routeRefresh])
        _ = s.received(bytes(.open(old)) + bytes(.keepalive), now: 2)
        XCTAssertEqual(s.negotiated?.codec.fourOctetAS, false)
        let two = UpdateMessage(attributes: PathAttributes(origin: .igp, asPath: [.sequence([12076])],
                                                           nextHop: IPAddress("192.168.1.1")),
                                nlri: [IPPrefix("10.0.0.0/8")!])
        let a = s.received(try BGPMessage.update(two).encode(options: CodecOptions(fourOctetAS: false)), now: 3)
        XCTAssertEqual(announced(a), [IPPrefix("10.0.0.0/8")!])
    }
}

extension BGPSessionTests {
    /// RFC 4271 §9.1.2: our own AS in the path means the route looped back; it is not installed and
    /// replaces (withdraws) an earlier route for the prefix.
    func testLoopedRouteIsDropped() throws {
        var s = established()
        let p = IPPrefix("10.200.0.0/16")!
        var good = UpdateMessage(attributes: PathAttributes(origin: .igp))
        good.attributes.asPath = [.sequence([12076])]
        good.attributes.nextHop = .v4(0xC0A8_0A02)
        good.nlri = [p]
        XCTAssertTrue(s.handle(.updateMsg(.accept(good)), now: 10).contains { if case .announce = $0 { return true }; return false })
        var looped = good
        looped.attributes.asPath = [.sequence([12076, 65001])]
        let out = s.handle(.updateMsg(.accept(looped)), now: 20)
        XCTAssertFalse(out.contains { if case .announce = $0 { return true }; return false })
        XCTAssertTrue(out.contains(.withdraw([p])), "\(out)")
    }
}

/// A collision the peer resolved in favour of its own connection is not an error of this session.
final class BGPCollisionBackoffTests: XCTestCase {
    func bytes(_ m: BGPMessage) -> [UInt8] { (try? m.encode()) ?? [] }

    func testCollisionCeaseDoesNotDoubleTheIdleHold() {
        let cfg = SessionConfig(localAS: 65010, routerID: 0x0A00_0001, peerAS: 12076, mode: .passive,
                                idleHoldInitialMs: 1_000, idleHoldMaxMs: 60_000)
        var s = Session(config: cfg)
        _ = s.handle(.manualStart, now: 0)
        // Errors double the wait: after two, the next is 4 s.
        for _ in 0..<2 {
            _ = s.handle(.tcpConnectionConfirmed, now: 0)
            _ = s.received(bytes(.notification(.cease(.outOfResources))), now: 0)
            XCTAssertEqual(s.state, .idle)
            _ = s.tick(now: 1_000_000)   // the idle hold ends; back to Active
        }
        XCTAssertEqual(s.backoff.current, 4_000)
        // The peer's Cease / Connection Collision Resolution puts it back to the initial wait.
        _ = s.handle(.tcpConnectionConfirmed, now: 1_000_000)
        _ = s.received(bytes(.notification(.cease(.connectionCollisionResolution))), now: 1_000_000)
        XCTAssertEqual(s.state, .idle)
        XCTAssertEqual(s.nextDeadline, 1_001_000, "restarts after the initial idle hold")
    }
}
