import XCTest
@testable import HedgeCore

/// Why a session went down, and what the path's BGP signal says then: the texts logs, status and
/// the lab tests read.
final class BGPDownCauseTests: XCTestCase {
    func testCauseOfEachReason() {
        XCTAssertEqual(BGPDownCause(.holdTimerExpired), .pathFailure)
        XCTAssertEqual(BGPDownCause(.connectionFailed), .pathFailure)
        XCTAssertEqual(BGPDownCause(.bfdDown), .pathFailure)
        XCTAssertEqual(BGPDownCause(.notificationReceived(.maximumPrefixes(.ipv4Unicast, limit: 4000))), .peerPrefixLimit)
        XCTAssertEqual(BGPDownCause(.notificationReceived(.cease(.administrativeShutdown))), .peerNotification)
        XCTAssertEqual(BGPDownCause(.maximumPrefixes(.ipv6Unicast, limit: 10)), .localPrefixLimit)
        XCTAssertEqual(BGPDownCause(.notificationSent(.update(.malformedAttributeList))), .protocolError)
        XCTAssertEqual(BGPDownCause(.manualStop), .stopped)
    }

    func testNames() {
        XCTAssertEqual([BGPDownCause.pathFailure, .peerPrefixLimit, .localPrefixLimit, .peerNotification, .protocolError, .stopped].map { $0.name },
                       ["path failure", "peer's prefix limit", "our prefix limit", "peer notification", "protocol error", "stopped"])
    }

    func testHealthTexts() {
        let (h, why) = BGPDownCause.health(.pathFailure, .holdTimerExpired)
        XCTAssertEqual(h, .down)
        XCTAssertEqual(why, "BGP down (path failure): hold timer expired")
        let limit = SessionReason.notificationReceived(.maximumPrefixes(.ipv4Unicast, limit: 4000))
        XCTAssertEqual(BGPDownCause.health(BGPDownCause(limit), limit).1,
                       "BGP down (peer's prefix limit): NOTIFICATION received: " + NotificationMessage.maximumPrefixes(.ipv4Unicast, limit: 4000).description)
        let stopped = BGPDownCause.health(.stopped, .manualStop)
        XCTAssertEqual(stopped.0, .unknown, "stopped here: BGP says nothing about the path")
        XCTAssertEqual(stopped.1, "BGP stopped")
        let up = BGPDownCause.established(peerAS: 12076, peerID: 0x0A4D_0002)
        XCTAssertEqual(up.0, .up)
        XCTAssertEqual(up.1, "BGP Established with AS12076 (10.77.0.2)")
        XCTAssertEqual(BGPDownCause.summary(.pathFailure, .bfdDown), "path failure: BFD down")
    }

    func testTransitions() {
        XCTAssertEqual(BGPDownCause.transition(from: .openConfirm, to: .established, reason: .keepaliveReceived), .up)
        XCTAssertEqual(BGPDownCause.transition(from: .established, to: .idle, reason: .holdTimerExpired), .down(.pathFailure))
        XCTAssertEqual(BGPDownCause.transition(from: .established, to: .idle, reason: .manualStop), .down(.stopped))
        XCTAssertNil(BGPDownCause.transition(from: .openSent, to: .idle, reason: .connectionFailed),
                     "a session that never came up does not go down")
        XCTAssertNil(BGPDownCause.transition(from: .idle, to: .connect, reason: .manualStart))
    }
}
