import XCTest
@testable import HedgeCore

final class DeadlineHeapTests: XCTestCase {
    func testEarliestFirstAndPopDue() {
        var h = DeadlineHeap()
        h.set(3, 300); h.set(1, 100); h.set(2, 200)
        XCTAssertEqual(h.first?.slot, 1)
        XCTAssertNil(h.popDue(now: 99))
        XCTAssertEqual(h.popDue(now: 250), 1)
        XCTAssertEqual(h.popDue(now: 250), 2)
        XCTAssertNil(h.popDue(now: 250))
        XCTAssertEqual(h.count, 1)
        XCTAssertEqual(h.deadline(3), 300)
        XCTAssertNil(h.deadline(1))
    }

    func testRescheduleMovesInPlace() {
        var h = DeadlineHeap()
        for s in 0..<10 { h.set(s, Int64(1000 + s)) }
        h.set(9, 5)          // earlier
        XCTAssertEqual(h.first?.slot, 9)
        h.set(9, 5_000)      // later
        XCTAssertEqual(h.first?.slot, 0)
        h.set(0, nil)        // cleared
        XCTAssertEqual(h.first?.slot, 1)
        XCTAssertEqual(h.count, 9)
        h.set(0, nil)        // clearing twice is harmless
        XCTAssertEqual(h.count, 9)
    }

    func testEqualDeadlinesGoBySlot() {
        var h = DeadlineHeap()
        h.set(5, 10); h.set(2, 10); h.set(7, 10)
        XCTAssertEqual(h.popDue(now: 10), 2)
        XCTAssertEqual(h.popDue(now: 10), 5)
        XCTAssertEqual(h.popDue(now: 10), 7)
    }

    /// Against a plain dictionary, under random sets, clears and pops.
    func testMatchesAReferenceModel() {
        var h = DeadlineHeap()
        var model: [Int: Int64] = [:]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let slot = Int.random(in: 0..<40, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: h.set(slot, nil); model[slot] = nil
            case 1:
                let now = Int64.random(in: 0..<1_000, using: &rng)
                let popped = h.popDue(now: now)
                let due = model.filter { $0.value <= now }.min { ($0.value, $0.key) < ($1.value, $1.key) }
                XCTAssertEqual(popped, due?.key)
                if let p = popped { model[p] = nil }
            default:
                let at = Int64.random(in: 0..<1_000, using: &rng)
                h.set(slot, at); model[slot] = at
            }
            let best = model.min { ($0.value, $0.key) < ($1.value, $1.key) }
            XCTAssertEqual(h.first?.slot, best?.key)
            XCTAssertEqual(h.count, model.count)
        }
    }
}
