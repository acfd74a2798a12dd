import XCTest
@testable import HedgeCore

final class ProbeTrackerTests: XCTestCase {
    /// Sends every due probe in [from, to) millisecond by millisecond, answering each after `rtt`
    /// ms unless `answer` says no. Returns the health changes seen.
    @discardableResult
    private func run(_ t: inout ProbeTracker, from: Millis, to: Millis, rtt: Millis = 1,
                     answer: (UInt16) -> Bool = { _ in true }) -> [(Millis, Health)] {
        var pending: [(Millis, UInt16)] = []
        var changes: [(Millis, Health)] = []
        for now in from..<to {
            while let i = pending.firstIndex(where: { $0.0 == now }) {
                let (_, s) = pending.remove(at: i)
                if let h = t.received(sequence: s, now: now) { changes.append((now, h)) }
            }
            if let h = t.tick(now: now) { changes.append((now, h)) }
            if let s = t.nextSend(now: now), answer(s) { pending.append((now + rtt, s)) }
        }
        return changes
    }

    func testFirstSendIsImmediateThenEveryInterval() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 3)
        XCTAssertEqual(t.nextDeadline(), 0)
        XCTAssertEqual(t.nextSend(now: 100), 0)
        XCTAssertNil(t.nextSend(now: 100))
        XCTAssertNil(t.nextSend(now: 109))
        XCTAssertEqual(t.nextDeadline(), 110)
        XCTAssertEqual(t.nextSend(now: 110), 1)
        XCTAssertEqual(t.nextSend(now: 123), 2, "late send")
        XCTAssertEqual(t.nextDeadline(), 130, "cadence kept")
        XCTAssertEqual(t.nextSend(now: 175), 3, "stalled: restart the cadence from now")
        XCTAssertEqual(t.nextDeadline(), min(185, 100 + 30))
        XCTAssertEqual(t.sent, 4)
    }

    func testRecoverAfterConsecutiveReplies() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 3)
        XCTAssertEqual(t.health, .unknown)
        XCTAssertEqual(t.nextSend(now: 0), 0)
        XCTAssertNil(t.received(sequence: 0, now: 2))
        XCTAssertEqual(t.nextSend(now: 10), 1)
        XCTAssertNil(t.received(sequence: 1, now: 12))
        XCTAssertEqual(t.nextSend(now: 20), 2)
        XCTAssertEqual(t.received(sequence: 2, now: 23), .up)
        XCTAssertEqual(t.health, .up)
        XCTAssertEqual(t.lastRTTMs, 3)
        XCTAssertEqual(t.received, 3)
    }

    func testGapRestartsRecoverCount() {
        var t = ProbeTracker(intervalMs: 10, threshold: 5, recover: 3)
        for now in stride(from: Millis(0), through: 40, by: 10) { _ = t.nextSend(now: now) }   // 0...4
        XCTAssertNil(t.received(sequence: 0, now: 41))
        XCTAssertNil(t.received(sequence: 1, now: 41))
        XCTAssertNil(t.received(sequence: 3, now: 42), "2 missing: count restarts at 1")
        XCTAssertEqual(t.streak, 1)
        XCTAssertNil(t.received(sequence: 4, now: 43))
        XCTAssertEqual(t.nextSend(now: 50), 5)
        XCTAssertEqual(t.received(sequence: 5, now: 51), .up)
    }

    func testDetectionExactlyAtThresholdTimesInterval() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 1)
        _ = t.nextSend(now: 0)
        XCTAssertEqual(t.received(sequence: 0, now: 4), .up)
        // Replies stop. Last reply at 4: down at 4 + 30 = 34, not at a send time (30 or 40).
        for now in 5..<34 as Range<Millis> {
            _ = t.nextSend(now: now)
            XCTAssertNil(t.tick(now: now), "at \(now)")
        }
        XCTAssertEqual(t.nextDeadline(), 34)
        XCTAssertEqual(t.tick(now: 34), .down)
        XCTAssertEqual(t.reason, "probe: no reply for 30 ms")
        XCTAssertNil(t.tick(now: 35), "reported once")
        XCTAssertEqual(t.nextDeadline(), 40, "only the next send while down")
    }

    func testReplyJustBeforeDeadlineKeepsUp() {
        var t = ProbeTracker(intervalMs: 5, threshold: 3, recover: 1)
        let c1 = run(&t, from: 0, to: 100)
        XCTAssertEqual(c1.map { $0.1 }, [.up])
        // Probes sent from now on are not answered: last reply was at 96 (sent 95, rtt 1).
        let c2 = run(&t, from: 100, to: 200, answer: { _ in false })
        XCTAssertEqual(c2.count, 1)
        XCTAssertEqual(c2[0].0, 96 + 15)
        XCTAssertEqual(c2[0].1, .down)
    }

    func testDetectionWithoutAnyReplyCountsFromFirstSend() {
        var t = ProbeTracker(intervalMs: 100, threshold: 3, recover: 3)
        XCTAssertEqual(t.nextSend(now: 1000), 0)
        XCTAssertEqual(t.detectionDeadline, 1300)
        let c = run(&t, from: 1001, to: 2000, answer: { _ in false })
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c[0].0, 1300)
        XCTAssertEqual(c[0].1, .down)
        XCTAssertEqual(t.reason, "probe: no reply for 300 ms (none since start)")
    }

    func testDownThenRecover() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 3)
        run(&t, from: 0, to: 50)
        XCTAssertEqual(t.health, .up)
        run(&t, from: 50, to: 120, answer: { _ in false })
        XCTAssertEqual(t.health, .down)
        let c = run(&t, from: 120, to: 200)
        // Sends at 120, 130, 140 answered at +1: up at the third reply.
        XCTAssertEqual(c.map { $0.0 }, [141])
        XCTAssertEqual(c.map { $0.1 }, [.up])
        XCTAssertEqual(t.sent, t.received + t.lost + t.inFlight)
    }

    func testSequenceWrapAround() {
        var t = ProbeTracker(intervalMs: 1, threshold: 3, recover: 2, firstSequence: 65534)
        XCTAssertEqual(t.nextSend(now: 0), 65534)
        XCTAssertEqual(t.nextSend(now: 1), 65535)
        XCTAssertEqual(t.nextSend(now: 2), 0)
        XCTAssertEqual(t.nextSend(now: 3), 1)
        XCTAssertNil(t.received(sequence: 65535, now: 3))
        XCTAssertEqual(t.received(sequence: 0, now: 3), .up, "0 follows 65535")
        XCTAssertNil(t.received(sequence: 65534, now: 3), "older than the last reply")
        XCTAssertEqual(t.stale, 1)
        XCTAssertNil(t.received(sequence: 1, now: 4))
        XCTAssertEqual(t.streak, 3)
        XCTAssertEqual(t.lastRTTMs, 1)
    }

    func testWrapAroundOverAFullCycle() {
        var t = ProbeTracker(intervalMs: 1, threshold: 3, recover: 3)
        let c = run(&t, from: 0, to: 70_000)
        XCTAssertEqual(c.map { $0.1 }, [.up])
        XCTAssertEqual(t.received, 70_000 - 1)
        XCTAssertEqual(t.lost, 0)
        XCTAssertEqual(t.stale + t.duplicates + t.unexpected, 0)
    }

    func testDuplicateUnknownAndStaleReplies() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 1)
        _ = t.nextSend(now: 0); _ = t.nextSend(now: 10); _ = t.nextSend(now: 20)   // 0, 1, 2
        XCTAssertNil(t.received(sequence: 7, now: 21), "never sent")
        XCTAssertEqual(t.unexpected, 1)
        XCTAssertEqual(t.received(sequence: 1, now: 21), .up)
        XCTAssertNil(t.received(sequence: 1, now: 22))
        XCTAssertEqual(t.duplicates, 1)
        XCTAssertNil(t.received(sequence: 0, now: 22), "reordered: older than the last reply")
        XCTAssertEqual(t.stale, 1)
        XCTAssertEqual(t.received, 1)
        XCTAssertEqual(t.lastRTTMs, 11)
    }

    func testLateReplyAfterLossIsStale() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 1)
        _ = t.nextSend(now: 0)
        _ = t.nextSend(now: 10)
        XCTAssertEqual(t.received(sequence: 1, now: 11), .up)
        // Probe 0 (sent at 0) is lost once 30 ms pass unanswered.
        XCTAssertNil(t.tick(now: 30))
        XCTAssertEqual(t.lost, 1)
        XCTAssertNil(t.received(sequence: 0, now: 31))
        XCTAssertEqual(t.stale, 1)
        XCTAssertEqual(t.sent, t.received + t.lost + t.inFlight)
    }

    func testReplyToProbeLongGoneIsUnexpected() {
        var t = ProbeTracker(intervalMs: 1, threshold: 3, recover: 1)
        for now in 0..<100 as Range<Millis> { _ = t.nextSend(now: now); _ = t.tick(now: now) }
        XCTAssertNil(t.received(sequence: 2, now: 100))
        XCTAssertEqual(t.unexpected, 1)
        XCTAssertEqual(t.sent, t.received + t.lost + t.inFlight)
    }
}

final class ProbeTrackerStallTests: XCTestCase {
    /// A stalled event loop sends nothing; silence it did not ask for is no evidence of failure.
    func testSilenceWithoutSendsIsNotAFailure() {
        var t = ProbeTracker(intervalMs: 10, threshold: 3, recover: 1)
        XCTAssertEqual(t.nextSend(now: 0), 0)
        XCTAssertEqual(t.received(sequence: 0, now: 1), .up)
        // The loop stalls for 500 ms: no probe goes out.
        XCTAssertNil(t.tick(now: 501))
        XCTAssertEqual(t.health, .up)
        // Probes resume and go unanswered: down once `threshold` of them are out and the time is up.
        XCTAssertNotNil(t.nextSend(now: 501)); XCTAssertNil(t.tick(now: 501))
        XCTAssertNotNil(t.nextSend(now: 511)); XCTAssertNil(t.tick(now: 511))
        XCTAssertNotNil(t.nextSend(now: 521))
        XCTAssertEqual(t.tick(now: 521), .down)
    }
}
