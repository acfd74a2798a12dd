import Foundation
import XCTest
@testable import HedgeCore

final class DampingTests: XCTestCase {
    func testDecayWholeHalfLivesAreExact() {
        XCTAssertEqual(Damping.decay(4000, elapsed: 0, halfLifeMs: 1000), 4000)
        XCTAssertEqual(Damping.decay(4000, elapsed: 1000, halfLifeMs: 1000), 2000)
        XCTAssertEqual(Damping.decay(4000, elapsed: 2000, halfLifeMs: 1000), 1000)
        XCTAssertEqual(Damping.decay(4000, elapsed: 12_000, halfLifeMs: 1000), 0)
        XCTAssertEqual(Damping.decay(4000, elapsed: 1 << 40, halfLifeMs: 1), 0)
        XCTAssertEqual(Damping.decay(0, elapsed: 5, halfLifeMs: 1000), 0)
        XCTAssertEqual(Damping.decay(4000, elapsed: -5, halfLifeMs: 1000), 4000)
    }

    /// The documented bound: |decay(v, t) − v·2^(−t/h)| ≤ 2e-5 × v + 1.
    func testDecayErrorBound() {
        let halfLives: [Millis] = [1, 7, 1000, 60_000, 900_001, 1 << 40, (1 << 50) + 12345]
        let values: [Int64] = [1, 750, 1000, 3000, 768_000, 1 << 38]
        var worst = 0.0
        for h in halfLives {
            for v in values {
                var t: Millis = 0
                let step = max(h / 97, 1)
                while t <= 5 * h {
                    let exact = Double(v) * pow(2.0, -Double(t) / Double(h))
                    let got = Double(Damping.decay(v, elapsed: t, halfLifeMs: h))
                    let err = abs(got - exact)
                    XCTAssertLessThanOrEqual(err, 2e-5 * Double(v) + 1, "v=\(v) t=\(t) h=\(h)")
                    if v >= 1 << 20 { worst = max(worst, err / exact) }
                    t += step
                }
            }
        }
        XCTAssertLessThan(worst, 2e-5)
    }

    func testDecayIsMonotone() {
        var prev = Int64.max
        for t in stride(from: Millis(0), through: 200_000, by: 37) {
            let d = Damping.decay(3000, elapsed: t, halfLifeMs: 60_000)
            XCTAssertLessThanOrEqual(d, prev)
            prev = d
        }
    }

    func testSuppressAndReuseExactTiming() {
        // Two downs at once: 2000 > 1500 → suppressed; 2000 · 2^(−t/1000) < 500 first at t = 2001.
        var d = Damping(config: DampingConfig(penalty: 1000, suppress: 1500, reuse: 500,
                                               halfLifeMs: 1000, maxSuppressMs: 100_000))
        d.recordDown(now: 0)
        XCTAssertFalse(d.isSuppressed(now: 0), "1000 is not above 1500")
        d.recordDown(now: 0)
        XCTAssertEqual(d.penalty(now: 0), 2000)
        XCTAssertTrue(d.isSuppressed(now: 0))
        XCTAssertEqual(d.penalty(now: 1000), 1000)
        XCTAssertTrue(d.isSuppressed(now: 1000), "below suppress but not below reuse: still suppressed")
        XCTAssertEqual(d.reuseAt(now: 0), 2001)
        XCTAssertEqual(d.reuseAt(now: 1500), 2001)
        XCTAssertTrue(d.isSuppressed(now: 2000))
        XCTAssertFalse(d.isSuppressed(now: 2001))
        XCTAssertNil(d.reuseAt(now: 2001))
    }

    func testSuppressionWithDefaultsMatchesRFCFormula() {
        var d = Damping(config: DampingConfig())   // 1000 / 3000 / 750, half-life 60 s
        for t in [0, 1000, 2000] as [Millis] { d.recordDown(now: t) }
        XCTAssertFalse(d.isSuppressed(now: 2000), "just under 3000 after decay")
        d.recordDown(now: 3000)
        XCTAssertTrue(d.isSuppressed(now: 3000))
        let p = Double(d.penalty(now: 3000))
        let exact = 3000 + 60_000 * log2(p / 750)
        let reuse = try! XCTUnwrap(d.reuseAt(now: 3000))
        XCTAssertEqual(Double(reuse), exact, accuracy: 60_000 * 1e-4 + 2)
        XCTAssertTrue(d.isSuppressed(now: reuse - 1))
        XCTAssertFalse(d.isSuppressed(now: reuse))
    }

    func testNotSuppressedBelowThresholdNeverSuppressed() {
        var d = Damping(config: DampingConfig(penalty: 1000, suppress: 2500, reuse: 750,
                                               halfLifeMs: 10_000, maxSuppressMs: 60_000))
        d.recordDown(now: 0)
        d.recordDown(now: 10_000)   // 500 + 1000
        XCTAssertFalse(d.isSuppressed(now: 10_000))
        XCTAssertNil(d.reuseAt(now: 10_000))
    }

    func testMaxSuppressCap() {
        let c = DampingConfig(penalty: 1000, suppress: 2000, reuse: 750, halfLifeMs: 60_000, maxSuppressMs: 120_000)
        let ceiling = Damping.ceiling(for: c)
        XCTAssertEqual(Double(ceiling), 750 * 4, accuracy: 3000 * 1e-4 + 1)  // reuse × 2^(120/60)
        var d = Damping(config: c)
        for t in 0..<50 { d.recordDown(now: Millis(t)) }
        XCTAssertLessThanOrEqual(d.penalty(now: 49), ceiling)
        let reuse = try! XCTUnwrap(d.reuseAt(now: 49))
        XCTAssertLessThanOrEqual(reuse - 49, 120_000, "suppression never outlasts maxSuppressMs")
        XCTAssertGreaterThan(reuse - 49, 119_900)
        XCTAssertTrue(d.isSuppressed(now: reuse - 1))
        XCTAssertFalse(d.isSuppressed(now: reuse))
    }

    func testCeilingOfHugeRatioIsBounded() {
        let c = DampingConfig(penalty: 1000, suppress: 2000, reuse: 750, halfLifeMs: 1, maxSuppressMs: 1 << 40)
        XCTAssertEqual(Damping.ceiling(for: c), Damping.maxValue)
        let zero = DampingConfig(penalty: 1000, suppress: 2000, reuse: 750, halfLifeMs: 1000, maxSuppressMs: 0)
        XCTAssertEqual(Damping.ceiling(for: zero), 749)
        var d = Damping(config: zero)
        for _ in 0..<5 { d.recordDown(now: 0) }
        XCTAssertFalse(d.isSuppressed(now: 0), "a zero max-suppress never suppresses")
    }
}
