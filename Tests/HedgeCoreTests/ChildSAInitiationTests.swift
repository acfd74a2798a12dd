import XCTest
@testable import HedgeCore

/// strongSwan mode: reconnecting to charon's VICI socket, and asking charon to initiate the
/// CHILD_SA while the kernel has no ESP SA pair.
final class ChildSAInitiationTests: XCTestCase {
    func testReconnectBacksOffAndStartsOverOnceConnected() {
        var i = ChildSAInitiation(enabled: true)
        XCTAssertTrue(i.connectDue(now: 0), "at once at start")
        var at: [Millis] = []
        var now: Millis = 0
        for _ in 0..<7 {
            i.connectFailed(now: now)
            at.append(i.nextConnect - now)
            XCTAssertFalse(i.connectDue(now: i.nextConnect - 1))
            XCTAssertEqual(i.nextDeadline(connected: false), i.nextConnect)
            now = i.nextConnect
        }
        XCTAssertEqual(at, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
        i.connected()
        i.disconnected(now: now)
        XCTAssertEqual(i.nextConnect, now + 1000, "a lost connection waits the first backoff again")
    }

    func testInitiatesWhileTheKernelHasNoSAPair() {
        var i = ChildSAInitiation(enabled: true)
        XCTAssertFalse(i.initiateDue(connected: false, childInstalled: false, now: 0), "no VICI connection")
        XCTAssertTrue(i.initiateDue(connected: true, childInstalled: false, now: 0))
        XCTAssertEqual(i.nextDeadline(connected: true), ChildSAInitiation.every, "from 0 when never asked")
        i.initiated(now: 100)
        XCTAssertEqual(i.initiations, 1)
        XCTAssertFalse(i.initiateDue(connected: true, childInstalled: false, now: 100_000), "one outstanding")
        XCTAssertNil(i.nextDeadline(connected: true))
        i.answered(success: false, errmsg: "establishing CHILD_SA failed")
        XCTAssertEqual(i.lastResult, "initiate failed: establishing CHILD_SA failed")
        XCTAssertFalse(i.initiateDue(connected: true, childInstalled: false, now: 100 + ChildSAInitiation.every - 1))
        XCTAssertEqual(i.nextDeadline(connected: true), 100 + ChildSAInitiation.every)
        XCTAssertTrue(i.initiateDue(connected: true, childInstalled: false, now: 100 + ChildSAInitiation.every))
        i.initiated(now: 10_000)
        i.answered(success: true, errmsg: nil)
        XCTAssertEqual(i.lastResult, "initiated")
        XCTAssertEqual(i.initiations, 2)
    }

    func testNotWhileTheSAsAreThereOrCharonHasTheChild() {
        var i = ChildSAInitiation(enabled: true)
        i.kernelSAs = true
        XCTAssertFalse(i.initiateDue(connected: true, childInstalled: false, now: 0))
        XCTAssertNil(i.nextDeadline(connected: true))
        i.kernelSAs = false
        XCTAssertFalse(i.initiateDue(connected: true, childInstalled: true, now: 0), "charon says installed: wait for netlink")
    }

    func testOffInTheConfig() {
        let i = ChildSAInitiation(enabled: false)
        XCTAssertFalse(i.initiateDue(connected: true, childInstalled: false, now: 0))
        XCTAssertNil(i.nextDeadline(connected: true))
        XCTAssertEqual(i.nextDeadline(connected: false), 0, "it still reconnects")
    }

    func testOutstandingRequestEndsWithTheConnection() {
        var i = ChildSAInitiation(enabled: true)
        i.initiated(now: 0)
        i.disconnected(now: 1)
        XCTAssertTrue(i.initiateDue(connected: true, childInstalled: false, now: ChildSAInitiation.every))
        i.initiated(now: 10_000)
        i.refused()
        XCTAssertFalse(i.initiating, "charon does not know initiate")
    }
}
