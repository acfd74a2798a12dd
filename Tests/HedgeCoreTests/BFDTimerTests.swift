import XCTest
@testable import HedgeCore

/// Timer negotiation, the slow rate while not Up, jitter and the Poll Sequence (RFC 5880 §6.5,
/// §6.8.2–6.8.4, §6.8.7).
final class BFDTimerTests: XCTestCase {

    func periodicGaps(_ sent: [BFDPair.Sent], from: Int64, to: Int64 = .max) -> [Int64] {
        let times = sent.filter { !$0.packet.final && $0.at >= from && $0.at <= to }.map { $0.at }
        return zip(times.dropFirst(), times).map { $0 - $1 }
    }

    // MARK: slow rate

    /// §6.8.3: a session that is not Up advertises and uses at least 1 s, whatever it is configured
    /// for; jitter (§6.8.7) then puts each gap between 0.75 s and 1 s.
    func testSlowTransmitWhileNotUp() {
        var s = BFDSession(localDiscriminator: 1, timers: .ms(10), now: 0)
        var rng = BFDTestRandom()
        var times: [Int64] = []
        var now: Int64 = 0
        while now < 20_000_000 {
            for case .send(let sent) in s.tick(now: now, random: rng.next()) {
                let p = bfdDecode(sent.encode())!
                XCTAssertEqual(p.state, .down)
                XCTAssertEqual(p.desiredMinTxInterval, 1_000_000)
                XCTAssertEqual(p.requiredMinRxInterval, 10_000, "RX stays as configured")
                times.append(now)
            }
            now = s.nextDeadline(now: now)!
        }
        XCTAssertEqual(times.first, 0)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        XCTAssertGreaterThan(gaps.count, 19)
        for g in gaps { XCTAssertTrue((750_000...1_000_000).contains(g), "gap \(g)") }
        XCTAssertEqual(s.transmitInterval, 1_000_000)
    }

    /// In Init too, until the session is Up.
    func testSlowTransmitInInit() {
        var p = BFDPair(.ms(10))
        p.dropBToA = true          // A never hears B: B hears A's Downs and stays in Init
        p.run(until: 5_000_000)
        XCTAssertEqual(p.b.state, .initial)
        XCTAssertEqual(p.a.state, .down)
        // From B's entry into Init (its state change went out at once, 100 µs after its first Down).
        let entered = p.changes(of: .b)[0].at
        let gaps = periodicGaps(p.sentByB, from: entered)
        XCTAssertFalse(gaps.isEmpty)
        for g in gaps { XCTAssertTrue((750_000...1_000_000).contains(g), "gap \(g)") }
        XCTAssertTrue(p.sentByB.allSatisfy { $0.packet.desiredMinTxInterval == 1_000_000 })
    }

    // MARK: jitter

    func testJitterBounds() {
        var rng = BFDTestRandom()
        var lo = Int64.max, hi = Int64.min, lo1 = Int64.max, hi1 = Int64.min
        for r in [0, 1, 1_500, 2_500, 2_501, UInt32.max] + (0..<20_000).map({ _ in rng.next() }) {
            let j = BFDJitter.interval(10_000, detectMult: 3, random: r)
            lo = min(lo, j); hi = max(hi, j)
            let j1 = BFDJitter.interval(10_000, detectMult: 1, random: r)
            lo1 = min(lo1, j1); hi1 = max(hi1, j1)
        }
        XCTAssertEqual(lo, 7_500); XCTAssertEqual(hi, 10_000)
        XCTAssertEqual(lo1, 7_500); XCTAssertEqual(hi1, 9_000, "mult 1: at most 90 %")
        XCTAssertEqual(BFDJitter.interval(1_000_000, detectMult: 3, random: 0), 750_000)
        XCTAssertEqual(BFDJitter.interval(1_000_000, detectMult: 3, random: 2_500), 1_000_000)
    }

    func testJitterInARunningSession() {
        for mult: UInt8 in [3, 1] {
            var p = BFDPair(.ms(10, mult))
            p.run(until: 2_000_000)
            XCTAssertEqual(p.a.state, .up)
            let gaps = periodicGaps(p.sentByA, from: 100_000)
            XCTAssertGreaterThan(gaps.count, 150)
            let top: Int64 = mult == 1 ? 9_000 : 10_000
            for g in gaps { XCTAssertTrue((7_500...top).contains(g), "mult \(mult): gap \(g)") }
            XCTAssertGreaterThan(Set(gaps).count, 50, "jittered per packet")
        }
    }

    // MARK: fast timers

    /// 10 ms × 3: a silent neighbour is detected 30 ms after its last packet, on both sides.
    func testTenMillisecondTimersDetectIn30ms() {
        var p = BFDPair(.ms(10))
        p.run(until: 1_000_000)
        XCTAssertEqual(p.a.transmitInterval, 10_000)
        XCTAssertEqual(p.a.detectionTime, 30_000); XCTAssertEqual(p.b.detectionTime, 30_000)
        p.dropAToB = true; p.dropBToA = true
        p.run(until: 1_200_000)
        let a = p.changes(of: .a).last!, b = p.changes(of: .b).last!
        XCTAssertEqual(a.diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(b.diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(a.at - p.lastDeliveredToA!, 30_000)
        XCTAssertEqual(b.at - p.lastDeliveredToB!, 30_000)
        XCTAssertLessThanOrEqual(a.at - 1_000_000, 30_000 + 10_000, "within 40 ms of the cut")
    }

    /// The larger of our Required Min RX and their Desired Min TX, times their multiplier; the
    /// larger of our Desired Min TX and their Required Min RX to send.
    func testNegotiation() {
        var p = BFDPair(a: BFDTimers(desiredMinTx: 10_000, requiredMinRx: 50_000, detectMult: 3),
                        b: BFDTimers(desiredMinTx: 20_000, requiredMinRx: 30_000, detectMult: 5))
        p.run(until: 1_000_000)
        XCTAssertEqual(p.a.state, .up)
        XCTAssertEqual(p.a.transmitInterval, 30_000)          // max(10, B's RX 30)
        XCTAssertEqual(p.b.transmitInterval, 50_000)          // max(20, A's RX 50)
        XCTAssertEqual(p.a.detectionTime, 5 * 50_000)         // B's mult × max(50, 20)
        XCTAssertEqual(p.b.detectionTime, 3 * 30_000)         // A's mult × max(30, 10)
    }

    // MARK: poll sequence

    /// A TX increase (10 → 50 ms) is advertised at once with P, but A keeps sending every 10 ms
    /// until B's F arrives; from that moment it sends every 50 ms. B, on the other hand, times A
    /// by 50 ms from the first P packet on.
    func testTransmitIncreaseWaitsForFinal() throws {
        var p = BFDPair(.ms(10))
        p.delay = 5_000                                         // so that the poll takes a while
        p.run(until: 1_000_000)
        XCTAssertEqual(p.a.state, .up)
        XCTAssertFalse(p.a.intervals.polling)
        let t0 = p.now
        p.a.setTimers(BFDTimers(desiredMinTx: 50_000, requiredMinRx: 10_000, detectMult: 3), now: t0)
        XCTAssertTrue(p.a.intervals.polling)
        XCTAssertEqual(p.a.packet().desiredMinTxInterval, 50_000, "advertised at once")
        XCTAssertEqual(p.a.transmitInterval, 10_000, "used only after the poll")

        p.run(until: t0 + 10_000)
        let firstPoll = try XCTUnwrap(p.sentByA.first { $0.at > t0 })
        XCTAssertTrue(firstPoll.packet.poll)
        let fAt = firstPoll.at + 2 * p.delay                    // B answers at once
        p.run(until: fAt - 1)
        XCTAssertTrue(p.a.intervals.polling)
        XCTAssertEqual(p.a.transmitInterval, 10_000)
        XCTAssertEqual(p.b.detectionTime, 150_000, "B applies A's new Desired Min TX at once")
        let beforeF = p.sentByA.filter { $0.at >= firstPoll.at && !$0.packet.final }
        XCTAssertGreaterThanOrEqual(beforeF.count, 1)
        XCTAssertTrue(beforeF.allSatisfy { $0.packet.poll }, "P until F")
        p.run(until: fAt)
        XCTAssertFalse(p.a.intervals.polling)
        XCTAssertEqual(p.a.transmitInterval, 50_000)
        p.run(until: fAt + 1_000_000)
        let after = p.sentByA.filter { $0.at > fAt && !$0.packet.final }
        XCTAssertTrue(after.allSatisfy { !$0.packet.poll })
        let lastP = try XCTUnwrap(beforeF.last)
        let slow = periodicGaps(p.sentByA, from: lastP.at)
        XCTAssertGreaterThan(slow.count, 15)
        for g in slow { XCTAssertTrue((37_500...50_000).contains(g), "gap \(g)") }
        let fast = periodicGaps(p.sentByA, from: t0 - 100_000, to: lastP.at)
        for g in fast { XCTAssertTrue((7_500...10_000).contains(g), "gap \(g)") }
        XCTAssertEqual(p.a.state, .up); XCTAssertEqual(p.b.state, .up)
        XCTAssertEqual(p.changes.count, 4, "no flap")
    }

    /// An RX decrease (30 → 10 ms) keeps the old Detection Time until F; an RX increase and a TX
    /// decrease apply at once.
    func testReceiveDecreaseWaitsForFinal() throws {
        var p = BFDPair(a: BFDTimers(desiredMinTx: 50_000, requiredMinRx: 30_000, detectMult: 3), b: .ms(10))
        p.delay = 5_000
        p.run(until: 1_000_000)
        XCTAssertEqual(p.a.detectionTime, 90_000)
        XCTAssertEqual(p.a.transmitInterval, 50_000)

        // Safe directions: at once.
        p.a.setTimers(BFDTimers(desiredMinTx: 10_000, requiredMinRx: 100_000, detectMult: 3), now: p.now)
        XCTAssertEqual(p.a.transmitInterval, 10_000)
        XCTAssertEqual(p.a.detectionTime, 300_000)
        p.run(until: p.now + 100_000)
        XCTAssertFalse(p.a.intervals.polling)

        // RX down: not before F.
        let t0 = p.now
        p.a.setTimers(BFDTimers(desiredMinTx: 10_000, requiredMinRx: 10_000, detectMult: 3), now: t0)
        XCTAssertEqual(p.a.packet().requiredMinRxInterval, 10_000)
        XCTAssertEqual(p.a.detectionTime, 300_000)
        p.run(until: t0 + 10_000)
        let firstPoll = try XCTUnwrap(p.sentByA.first { $0.at > t0 })
        p.run(until: firstPoll.at + 2 * p.delay - 1)
        XCTAssertEqual(p.a.detectionTime, 300_000)
        XCTAssertEqual(p.b.transmitInterval, 10_000, "B may send faster as soon as it sees the P packet")
        p.run(until: firstPoll.at + 2 * p.delay)
        XCTAssertEqual(p.a.detectionTime, 30_000)
        p.run(until: p.now + 1_000_000)
        XCTAssertEqual(p.changes.count, 4, "no flap")
    }

    /// Values that change again during a poll get a poll of their own; only the acknowledged
    /// values are used in the meantime.
    func testChangeDuringAPollPollsAgain() {
        var i = BFDIntervals(tx: 10_000, rx: 10_000)
        i.set(tx: 50_000, rx: 10_000, guarded: true)
        XCTAssertTrue(i.polling)
        i.set(tx: 100_000, rx: 5_000, guarded: true)
        XCTAssertEqual(i.effectiveTx, 10_000); XCTAssertEqual(i.effectiveRx, 10_000)
        XCTAssertTrue(i.finalReceived())
        XCTAssertTrue(i.polling, "second poll for the later values")
        XCTAssertEqual(i.effectiveTx, 50_000, "the first poll's value, acknowledged")
        XCTAssertEqual(i.effectiveRx, 10_000)
        XCTAssertTrue(i.finalReceived())
        XCTAssertFalse(i.polling)
        XCTAssertEqual(i.effectiveTx, 100_000); XCTAssertEqual(i.effectiveRx, 5_000)
        XCTAssertFalse(i.finalReceived(), "an F without a poll means nothing")

        // A decrease during a poll for an increase applies at once.
        var j = BFDIntervals(tx: 10_000, rx: 10_000)
        j.set(tx: 50_000, rx: 10_000, guarded: true)
        j.set(tx: 5_000, rx: 10_000, guarded: true)
        XCTAssertEqual(j.effectiveTx, 5_000)
        j.finalReceived()
        XCTAssertEqual(j.effectiveTx, 5_000)

        // Unguarded (Down): at once, no poll.
        var k = BFDIntervals(tx: 10_000, rx: 10_000)
        k.set(tx: 50_000, rx: 1_000, guarded: false)
        XCTAssertFalse(k.polling)
        XCTAssertEqual(k.effectiveTx, 50_000); XCTAssertEqual(k.effectiveRx, 1_000)
        XCTAssertFalse(k.set(tx: 50_000, rx: 1_000, guarded: true), "no change, no poll")
    }

    /// Leaving Up ends a poll: nothing agreed is left to protect, and the slow rate applies at once.
    func testGoingDownCancelsThePoll() {
        var p = BFDPair(.ms(10))
        p.run(until: 1_000_000)
        p.a.setTimers(BFDTimers(desiredMinTx: 50_000, requiredMinRx: 10_000, detectMult: 3), now: p.now)
        XCTAssertTrue(p.a.intervals.polling)
        p.dropAToB = true; p.dropBToA = true
        p.run(until: 1_100_000)
        XCTAssertEqual(p.a.state, .down)
        XCTAssertFalse(p.a.intervals.polling)
        XCTAssertEqual(p.a.transmitInterval, 1_000_000)
        XCTAssertEqual(p.a.packet().desiredMinTxInterval, 1_000_000)
    }
}
