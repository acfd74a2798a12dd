import XCTest
@testable import HedgeCore

/// The state machine of RFC 5880 §6.8.6 and the Down notification of RFC 5882.
final class BFDSessionTests: XCTestCase {

    func sends(_ actions: [BFDAction]) -> [BFDControlPacket] {
        actions.compactMap { if case .send(let p) = $0 { return bfdDecode(p.encode())! }; return nil }
    }
    func stateChanges(_ actions: [BFDAction]) -> [BFDStateChange] {
        actions.compactMap { if case .stateChanged(let c) = $0 { return c }; return nil }
    }
    func downs(_ actions: [BFDAction]) -> [BFDDown] {
        actions.compactMap { if case .down(let d) = $0 { return d }; return nil }
    }
    func bytes(_ actions: [BFDAction]) -> [UInt8] {
        for a in actions { if case .send(let p) = a { return p.encode() } }
        XCTFail("no packet sent"); return []
    }

    /// A packet from neighbour 9 to our session 7.
    func fromNeighbor(_ state: BFDState, your: UInt32 = 7, poll: Bool = false, final: Bool = false,
                      tx: UInt32 = 10_000, rx: UInt32 = 10_000, diag: BFDDiagnostic = .none) -> [UInt8] {
        BFDControlPacket(diagnostic: diag, state: state, poll: poll, final: final, detectMult: 3,
                         myDiscriminator: 9, yourDiscriminator: your,
                         desiredMinTxInterval: tx, requiredMinRxInterval: rx).encode()
    }

    // MARK: handshake

    /// Down → Init → Up, one packet at a time (RFC 5880 §6.2), A starting first.
    func testThreeWayHandshake() {
        var a = BFDSession(localDiscriminator: 1, timers: .ms(10), now: 0)
        var b = BFDSession(localDiscriminator: 2, timers: .ms(10), now: 0)

        let a1 = a.tick(now: 0, random: 0)
        XCTAssertEqual(sends(a1).map { $0.state }, [.down])
        XCTAssertEqual(sends(a1)[0].yourDiscriminator, 0, "A does not know B yet")

        let b1 = b.receive(bytes(a1), ttl: 255, now: 100, random: 0)
        XCTAssertEqual(stateChanges(b1).map { [$0.from, $0.to] }, [[.down, .initial]])
        XCTAssertEqual(b.state, .initial)
        let bInit = sends(b1)
        XCTAssertEqual(bInit.count, 1, "a state change goes out at once")
        XCTAssertEqual(bInit[0].state, .initial)
        XCTAssertEqual(bInit[0].yourDiscriminator, 1)
        XCTAssertEqual(bInit[0].desiredMinTxInterval, 1_000_000, "not Up yet: slow rate")
        XCTAssertFalse(bInit[0].poll)

        let a2 = a.receive(bytes(b1), ttl: 255, now: 200, random: 0)
        XCTAssertEqual(stateChanges(a2).map { [$0.from, $0.to] }, [[.down, .up]])
        XCTAssertEqual(stateChanges(a2)[0].diagnostic, .none)
        let aUp = sends(a2)
        XCTAssertEqual(aUp.count, 1)
        XCTAssertEqual(aUp[0].state, .up)
        XCTAssertEqual(aUp[0].desiredMinTxInterval, 10_000, "Up: the configured rate")
        XCTAssertTrue(aUp[0].poll, "the TX change (1 s → 10 ms) is polled (§6.8.3)")
        XCTAssertEqual(a.transmitInterval, 10_000, "a TX decrease applies at once")
        XCTAssertEqual(a.detectionTime, 3_000_000, "B still advertises 1 s")

        let b2 = b.receive(bytes(a2), ttl: 255, now: 300, random: 0)
        XCTAssertEqual(stateChanges(b2).map { [$0.from, $0.to] }, [[.initial, .up]])
        let bUp = sends(b2)
        XCTAssertEqual(bUp.count, 1, "one packet: the Final carries the new state")
        XCTAssertEqual(bUp[0].state, .up)
        XCTAssertTrue(bUp[0].final)
        XCTAssertFalse(bUp[0].poll, "P and F never together (§6.8.7)")
        XCTAssertTrue(b.intervals.polling, "B's own poll rides on its next periodic packet")

        let a3 = a.receive(bytes(b2), ttl: 255, now: 400, random: 0)
        XCTAssertEqual(a3, [])
        XCTAssertFalse(a.intervals.polling, "F ended A's poll")
        XCTAssertEqual(a.detectionTime, 30_000, "B now advertises 10 ms")

        let b3 = b.tick(now: b.nextDeadline(now: 400)!, random: 0)
        XCTAssertTrue(sends(b3)[0].poll)
        let a4 = a.receive(bytes(b3), ttl: 255, now: 10_000, random: 0)
        XCTAssertTrue(sends(a4)[0].final)
        _ = b.receive(bytes(a4), ttl: 255, now: 10_100, random: 0)
        XCTAssertFalse(b.intervals.polling)
        XCTAssertEqual(a.state, .up); XCTAssertEqual(b.state, .up)
        XCTAssertEqual(b.detectionTime, 30_000)
    }

    /// Both start at once: both go Down → Init → Up, and settle at the configured timers.
    func testSimultaneousStartComesUp() {
        var p = BFDPair(.ms(10))
        p.run(until: 100_000)
        XCTAssertEqual(p.a.state, .up); XCTAssertEqual(p.b.state, .up)
        XCTAssertEqual(p.changes(of: .a).map { $0.to }, [.initial, .up])
        XCTAssertEqual(p.changes(of: .b).map { $0.to }, [.initial, .up])
        XCTAssertFalse(p.a.intervals.polling || p.b.intervals.polling)
        XCTAssertEqual(p.a.detectionTime, 30_000); XCTAssertEqual(p.b.detectionTime, 30_000)
        XCTAssertEqual(p.a.remoteDiscriminator, 0x2222); XCTAssertEqual(p.b.remoteDiscriminator, 0x1111)
        XCTAssertEqual(p.a.discards.total + p.b.discards.total, 0)
        p.run(until: 10_000_000)
        XCTAssertEqual(p.changes.count, 4, "and then stays Up")
    }

    /// The transitions §6.8.6 does not make.
    func testStatesThatHold() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        XCTAssertEqual(stateChanges(s.receive(fromNeighbor(.up), ttl: 255, now: 1, random: 0)), [])
        XCTAssertEqual(s.state, .down, "Down ignores Up")
        XCTAssertEqual(stateChanges(s.receive(fromNeighbor(.adminDown, your: 0), ttl: 255, now: 2, random: 0)), [])
        XCTAssertEqual(s.state, .down, "Down ignores AdminDown")
        _ = s.receive(fromNeighbor(.down, your: 0), ttl: 255, now: 3, random: 0)
        XCTAssertEqual(s.state, .initial)
        XCTAssertEqual(stateChanges(s.receive(fromNeighbor(.down), ttl: 255, now: 4, random: 0)), [])
        XCTAssertEqual(s.state, .initial, "Init ignores Down")
        _ = s.receive(fromNeighbor(.up), ttl: 255, now: 5, random: 0)
        XCTAssertEqual(s.state, .up)
        XCTAssertEqual(stateChanges(s.receive(fromNeighbor(.initial), ttl: 255, now: 6, random: 0)), [])
        XCTAssertEqual(s.state, .up, "Up ignores Init")
    }

    func testInitGoesDownWhenTheNeighbourSaysAdminDown() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.receive(fromNeighbor(.down, your: 0), ttl: 255, now: 1, random: 0)
        let a = s.receive(fromNeighbor(.adminDown, diag: .administrativelyDown), ttl: 255, now: 2, random: 0)
        XCTAssertEqual(stateChanges(a).map { $0.to }, [.down])
        XCTAssertEqual(s.localDiagnostic, .neighborSignaledSessionDown)
        XCTAssertEqual(downs(a), [], "it never was Up: no BFD Down")
    }

    // MARK: going down

    /// Azure's 300 ms × 3: silence from B for 900 ms takes A down with diag 1.
    func testDetectionTimeExpiryGoesDownWithDiag1() {
        var p = BFDPair(.ms(300))
        p.run(until: 5_000_000)
        XCTAssertEqual(p.a.state, .up)
        XCTAssertEqual(p.a.detectionTime, 900_000)
        p.dropBToA = true
        p.run(until: 7_000_000)
        let last = p.lastDeliveredToA!
        let downA = p.changes(of: .a).last!
        XCTAssertEqual([downA.from, downA.to], [.up, .down])
        XCTAssertEqual(downA.diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(downA.at, last + 900_000, "exactly one Detection Time after the last packet")
        XCTAssertTrue(downA.reason.contains("900000"))
        let bfdDown = p.downs(of: .a)
        XCTAssertEqual(bfdDown.count, 1)
        XCTAssertEqual(bfdDown[0].diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(bfdDown[0].at, downA.at)
        XCTAssertTrue(bfdDown[0].pathFailed)
        XCTAssertEqual(p.a.remoteDiscriminator, 0, "§6.8.1: forgotten after a Detection Time")
        // What A says from then on.
        let after = p.sentByA.first { $0.at == downA.at }!.packet
        XCTAssertEqual(after.state, .down)
        XCTAssertEqual(after.diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(after.yourDiscriminator, 0)
        XCTAssertEqual(after.desiredMinTxInterval, 1_000_000)
        XCTAssertFalse(after.poll, "no poll outside Init/Up")
        // B hears it and goes down too, told by its neighbour.
        let downB = p.changes(of: .b)[2]
        XCTAssertEqual([downB.from, downB.to], [.up, .down])
        XCTAssertEqual(downB.diagnostic, .neighborSignaledSessionDown)
        XCTAssertEqual(downB.at, downA.at + p.delay)
    }

    /// The neighbour's Down takes us down with diag 3; the path has failed (RFC 5882).
    func testNeighborSignaledDownIsDiag3() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.receive(fromNeighbor(.initial), ttl: 255, now: 1, random: 0)
        XCTAssertEqual(s.state, .up)
        let a = s.receive(fromNeighbor(.down, diag: .controlDetectionTimeExpired), ttl: 255, now: 2, random: 0)
        XCTAssertEqual(stateChanges(a).map { [$0.from, $0.to] }, [[.up, .down]])
        XCTAssertEqual(stateChanges(a)[0].diagnostic, .neighborSignaledSessionDown)
        XCTAssertEqual(downs(a).count, 1)
        XCTAssertEqual(downs(a)[0].diagnostic, .neighborSignaledSessionDown)
        XCTAssertTrue(downs(a)[0].pathFailed)
        XCTAssertEqual(s.remoteDiagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(sends(a).map { $0.diagnostic }, [.neighborSignaledSessionDown])
        // Order: state change, BFD Down, then the packet.
        if case .stateChanged = a[0], case .down = a[1], case .send = a[2] {} else { XCTFail("order \(a)") }
    }

    /// The neighbour taken AdminDown: we go Down (diag 3) and stay Down, but the path is not failed
    /// (RFC 5882 §3.2). Back up when it is enabled again.
    func testNeighborAdminDownIsNotAPathFailure() {
        var p = BFDPair(.ms(10))
        p.run(until: 1_000_000)
        let off = p.b.adminDown(now: p.now, random: 7)
        p.handle(.b, off)
        XCTAssertEqual(sends(off).map { $0.state }, [.adminDown])
        XCTAssertEqual(sends(off)[0].diagnostic, .administrativelyDown)
        XCTAssertEqual(downs(off).count, 1)
        XCTAssertFalse(downs(off)[0].pathFailed, "our own AdminDown is no failure either")
        p.run(until: 6_000_000)
        XCTAssertEqual(p.a.state, .down, "AdminDown holds the neighbour in Down, not Init")
        let d = p.downs(of: .a)
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d[0].diagnostic, .neighborSignaledSessionDown)
        XCTAssertTrue(d[0].neighborAdminDown)
        XCTAssertFalse(d[0].pathFailed)
        XCTAssertGreaterThan(p.b.discards[.localAdminDown], 0)
        let on = p.b.adminUp(now: p.now, random: 7)
        p.handle(.b, on)
        XCTAssertEqual(p.b.state, .down)
        p.run(until: 8_500_000)
        XCTAssertEqual(p.a.state, .up); XCTAssertEqual(p.b.state, .up)
    }

    /// A packet that arrives after the Detection Time ran out does not rescue the session.
    func testLatePacketDoesNotRescueAnExpiredSession() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.receive(fromNeighbor(.initial), ttl: 255, now: 0, random: 0)
        XCTAssertEqual(s.detectionDeadline, 30_000)
        let a = s.receive(fromNeighbor(.up), ttl: 255, now: 30_000, random: 0)
        XCTAssertEqual(stateChanges(a).map { $0.diagnostic }, [.controlDetectionTimeExpired])
        XCTAssertEqual(s.state, .down)
        XCTAssertEqual(s.remoteDiscriminator, 9, "the packet itself still counts")
    }

    // MARK: coming back

    /// FRR issue 18416: one side's packets are dropped (egress filter); the other times out and
    /// sends Down, the first goes Down then Init and waits. When the loss ends both must come back
    /// Up — nobody may stay Down.
    func testComesBackAfterOneWayLossEnds() {
        var p = BFDPair(.ms(10))
        p.run(until: 1_000_000)
        p.dropAToB = true
        p.run(until: 6_000_000)
        XCTAssertEqual(p.b.state, .down)
        XCTAssertEqual(p.b.localDiagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(p.a.state, .initial, "A hears B's Down and waits in Init")
        XCTAssertEqual(p.downs(of: .a).map { $0.diagnostic }, [.neighborSignaledSessionDown])
        XCTAssertEqual(p.downs(of: .b).map { $0.diagnostic }, [.controlDetectionTimeExpired])
        // B's Down carries Your Discriminator 0 (it forgot A); A must accept that.
        XCTAssertEqual(p.sentByB.last!.packet.yourDiscriminator, 0)
        XCTAssertEqual(p.a.discards.total, 0)
        p.dropAToB = false
        let healed = p.now
        p.run(until: healed + 3_000_000)
        XCTAssertEqual(p.a.state, .up); XCTAssertEqual(p.b.state, .up)
        let upAgain = p.changes(of: .b).last!
        XCTAssertEqual(upAgain.to, .up)
        XCTAssertLessThanOrEqual(upAgain.at - healed, 1_000_000 + 2 * p.delay,
                                 "within one slow interval of A's next Init")
        XCTAssertEqual(p.a.detectionTime, 30_000); XCTAssertEqual(p.b.detectionTime, 30_000)
    }

    /// Total loss for longer than every timer, then the link heals: both sides sit in Down sending
    /// slow Downs with Your Discriminator 0, and come back.
    func testComesBackAfterTotalLoss() {
        var p = BFDPair(.ms(10))
        p.run(until: 1_000_000)
        p.dropAToB = true; p.dropBToA = true
        p.run(until: 20_000_000)
        XCTAssertEqual(p.a.state, .down); XCTAssertEqual(p.b.state, .down)
        XCTAssertEqual(p.a.remoteDiscriminator, 0)
        XCTAssertNotNil(p.a.nextTransmitAt, "still transmitting")
        p.dropAToB = false; p.dropBToA = false
        p.run(until: 22_500_000)
        XCTAssertEqual(p.a.state, .up); XCTAssertEqual(p.b.state, .up)
    }

    // MARK: what the neighbour asks of our transmissions

    /// Required Min RX 0 means "send me nothing" (§6.8.7); a Poll is still answered. When the
    /// neighbour then goes silent we forget that request and transmit again.
    func testNeighbourAskingForNoPackets() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.tick(now: 0, random: 0)
        let a = s.receive(fromNeighbor(.down, your: 0, tx: 1_000_000, rx: 0), ttl: 255, now: 10, random: 0)
        XCTAssertEqual(s.state, .initial)
        XCTAssertEqual(sends(a), [], "not even the state change")
        XCTAssertNil(s.nextTransmitAt)
        let polled = s.receive(fromNeighbor(.down, poll: true, tx: 1_000_000, rx: 0), ttl: 255, now: 20, random: 0)
        XCTAssertEqual(sends(polled).map { $0.final }, [true])
        XCTAssertEqual(s.nextDeadline(now: 20), 3_000_020, "only detection is pending")
        let expired = s.tick(now: 3_000_020, random: 0)
        XCTAssertEqual(s.state, .down)
        XCTAssertEqual(sends(expired).count, 1, "transmitting again")
        XCTAssertNotNil(s.nextTransmitAt)
    }

    /// A neighbour in Demand mode (D) with both Up: periodic packets stop, except while we poll.
    func testNeighbourInDemandMode() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.receive(fromNeighbor(.initial), ttl: 255, now: 0, random: 0)
        _ = s.receive(fromNeighbor(.up, final: true), ttl: 255, now: 100, random: 0)
        XCTAssertFalse(s.intervals.polling)
        var d = try! BFDControlPacket.decode(fromNeighbor(.up))
        d.demand = true
        _ = s.receive(d.encode(), ttl: 255, now: 200, random: 0)
        XCTAssertNil(s.nextTransmitAt)
        s.setTimers(BFDTimers(desiredMinTx: 20_000, requiredMinRx: 10_000, detectMult: 3), now: 300)
        XCTAssertNotNil(s.nextTransmitAt, "a poll is sent even in Demand mode")
        let t = s.tick(now: s.nextTransmitAt!, random: 0)
        XCTAssertTrue(sends(t)[0].poll)
        d.final = true
        _ = s.receive(d.encode(), ttl: 255, now: 20_000, random: 0)
        XCTAssertNil(s.nextTransmitAt)
    }

    func testAdminDownSendsDiag7AndStopsDetection() {
        var s = BFDSession(localDiscriminator: 7, timers: .ms(10), now: 0)
        _ = s.receive(fromNeighbor(.initial), ttl: 255, now: 0, random: 0)
        let a = s.adminDown(now: 5, random: 0)
        XCTAssertEqual(stateChanges(a).map { [$0.from, $0.to] }, [[.up, .adminDown]])
        XCTAssertEqual(sends(a).map { $0.state }, [.adminDown])
        XCTAssertEqual(sends(a)[0].diagnostic, .administrativelyDown)
        XCTAssertNil(s.detectionDeadline)
        XCTAssertEqual(s.tick(now: 100_000, random: 0).count, 0, "nothing expires in AdminDown")
        XCTAssertEqual(s.adminDown(now: 6, random: 0), [], "idempotent")
        let up = s.adminUp(now: 200_000, random: 0)
        XCTAssertEqual(stateChanges(up).map { [$0.from, $0.to] }, [[.adminDown, .down]])
        XCTAssertEqual(sends(up)[0].diagnostic, .none)
    }
}
