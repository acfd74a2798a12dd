import XCTest
@testable import HedgeCore

/// Re-asserting what another daemon removed: at most once per window per key.
final class ReassertLimiterTests: XCTestCase {
    func testOncePerWindow() {
        var l = ReassertLimiter<Int>(windowMs: 10_000)
        XCTAssertTrue(l.allow(1, now: 1000), "the first time")
        XCTAssertFalse(l.allow(1, now: 1001))
        XCTAssertFalse(l.allow(1, now: 10_999))
        XCTAssertTrue(l.allow(1, now: 11_000), "a window after the last re-assert")
        XCTAssertFalse(l.allow(1, now: 20_999))
    }

    func testARefusalDoesNotExtendTheWindow() {
        // A daemon that keeps fighting gets hedge's objects back once a window, not never.
        var l = ReassertLimiter<Int>(windowMs: 10_000)
        XCTAssertTrue(l.allow(1, now: 0))
        for t in stride(from: Millis(1000), to: 10_000, by: 1000) { XCTAssertFalse(l.allow(1, now: t)) }
        XCTAssertTrue(l.allow(1, now: 10_000))
    }

    func testKeysAreIndependent() {
        var l = ReassertLimiter<UInt32>()
        XCTAssertEqual(l.windowMs, 10_000)
        XCTAssertTrue(l.allow(100, now: 0))
        XCTAssertTrue(l.allow(101, now: 1))
        XCTAssertFalse(l.allow(100, now: 2))
        l.forget(100)
        XCTAssertTrue(l.allow(100, now: 3), "forgotten: as new")
    }
}
