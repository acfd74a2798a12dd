import XCTest
@testable import HedgeCore

/// `LossMeter`: a measure probe's one-way losses, attributed to the failover or failback they
/// belong to. The probe runs at 10 ms; `Flow` plays the reflector and both directions.
final class TransitionLossTests: XCTestCase {
    /// Requests every 10 ms; `forward`/`back` say whether each direction delivers at that moment.
    struct Flow {
        var stats = ReflectStats()
        var seq: UInt32 = 0
        var count: UInt32 = 0
        var lastReplyAt: Millis?
        var now: Millis = 0
        mutating func run(until end: Millis, forward: Bool = true, back: Bool = true, meter: inout LossMeter,
                          settled: inout [TransitionLoss]) {
            while now < end {
                seq += 1
                stats.requestSent(sequence: seq)
                if forward {
                    count += 1
                    if back {
                        stats.replyReceived(sequence: seq, epoch: 7, count: count, rttUs: 1_000)
                        lastReplyAt = now
                    }
                }
                if let t = meter.update(stats: stats, lastReplyAt: lastReplyAt, now: now) { settled.append(t) }
                now += 10
            }
        }
    }

    func testFailoverWithTheReturnLaterThanTheForward() {
        var m = LossMeter(intervalMs: 10), f = Flow(), done: [TransitionLoss] = []
        f.run(until: 1_000, meter: &m, settled: &done)
        // Both directions fail at 1,000; hedge switches at 1,050; the forward is back at once, Azure's
        // return 80 ms later.
        f.run(until: 1_050, forward: false, back: false, meter: &m, settled: &done)
        XCTAssertNil(m.transition(.failover, at: f.now, stats: f.stats))
        f.run(until: 1_130, forward: true, back: false, meter: &m, settled: &done)
        XCTAssertEqual(m.open?.forwardLost, 0, "nothing is known while no reply comes")
        XCTAssertGreaterThan(f.stats.unanswered, 0)
        f.run(until: 1_200, meter: &m, settled: &done)
        XCTAssertEqual(m.open?.forwardLost, 5)
        XCTAssertEqual(m.open?.returnLost, 8)
        XCTAssertEqual(m.open?.settled, false)
        XCTAssertEqual(m.latestFailover?.returnMs, 130, "the return was lost from the start of the gap")
        f.run(until: 2_300, meter: &m, settled: &done)
        XCTAssertEqual(done, [TransitionLoss(kind: .failover, at: 1_050, forwardLost: 5, returnLost: 8, intervalMs: 10, settled: true)])
        XCTAssertNil(m.open)
        XCTAssertEqual(m.lastFailover?.forwardMs, 50)
    }

    func testCleanFailbackSettlesAtZeroAfterTheSettleTime() {
        var m = LossMeter(intervalMs: 10), f = Flow(), done: [TransitionLoss] = []
        f.run(until: 500, meter: &m, settled: &done)
        _ = m.transition(.failback, at: f.now, stats: f.stats)
        f.run(until: 500 + LossMeter.settleMs - 10, meter: &m, settled: &done)
        XCTAssertTrue(done.isEmpty)
        f.run(until: 500 + LossMeter.settleMs + 20, meter: &m, settled: &done)
        XCTAssertEqual(done.map { [$0.forwardLost, $0.returnLost] }, [[0, 0]])
        XCTAssertEqual(m.lastFailback?.kind, .failback)
        XCTAssertNil(m.lastFailover)
    }

    func testAReturnThatNeverComesBackStaysOpen() {
        var m = LossMeter(intervalMs: 10), f = Flow(), done: [TransitionLoss] = []
        f.run(until: 300, meter: &m, settled: &done)
        _ = m.transition(.failover, at: f.now, stats: f.stats)
        f.run(until: 5_000, forward: true, back: false, meter: &m, settled: &done)
        XCTAssertTrue(done.isEmpty)
        XCTAssertEqual(m.latestFailover?.settled, false)
        XCTAssertEqual(f.stats.unanswered, 470)
    }

    func testANewSwitchClosesTheOpenOneAsItStands() {
        var m = LossMeter(intervalMs: 10), f = Flow(), done: [TransitionLoss] = []
        f.run(until: 300, meter: &m, settled: &done)
        _ = m.transition(.failover, at: f.now, stats: f.stats)
        f.run(until: 340, forward: false, meter: &m, settled: &done)
        f.run(until: 400, meter: &m, settled: &done)
        let closed = m.transition(.failback, at: f.now, stats: f.stats)
        XCTAssertEqual(closed?.forwardLost, 4)
        XCTAssertEqual(closed?.settled, false)
        XCTAssertEqual(m.lastFailover, closed)
        XCTAssertEqual(m.open?.kind, .failback)
        XCTAssertNil(m.transition(.initial, at: f.now, stats: f.stats))
        XCTAssertEqual(m.open?.kind, .failback, "an initial choice is not measured")
    }
}
