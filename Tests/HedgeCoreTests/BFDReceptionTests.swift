import XCTest
@testable import HedgeCore

/// Every check of RFC 5880 §6.8.6 and RFC 5881 §5: each failing packet is discarded, counted under
/// its own reason, and changes nothing in the session.
final class BFDReceptionTests: XCTestCase {
    let local: UInt32 = 7

    /// A packet our session (discriminator 7) accepts: the neighbour (discriminator 9) is Init.
    var valid: BFDControlPacket {
        BFDControlPacket(state: .initial, detectMult: 3, myDiscriminator: 9, yourDiscriminator: local,
                         desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 300_000)
    }

    func check(_ bytes: [UInt8], ttl: UInt8 = 255) -> BFDDiscardReason? {
        bytes.withUnsafeBytes { raw in
            do throws(BFDDiscardReason) {
                _ = try BFDReception.check(raw, ttl: ttl, localDiscriminator: local)
                return nil
            } catch { return error }
        }
    }
    func check(_ edit: (inout BFDControlPacket) -> Void) -> BFDDiscardReason? {
        var p = valid; edit(&p); return check(p.encode())
    }
    func patched(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = valid.encode(); edit(&b); return b
    }

    /// One failing packet per reason (a `localAdminDown` needs a session, see below).
    var failing: [(BFDDiscardReason, [UInt8], UInt8)] {
        var withAuth = valid
        withAuth.authentication = BFDAuthSection(type: 2, data: [UInt8](repeating: 0, count: 22))  // keyed MD5
        return [
            (.ttlNot255, valid.encode(), 254),
            (.badVersion, patched { $0[0] = 0x00 | ($0[0] & 0x1f) }, 255),
            (.badVersion, patched { $0[0] = 0x40 | ($0[0] & 0x1f) }, 255),
            (.tooShort, patched { $0[3] = 23 }, 255),
            (.tooShort, patched { $0[1] |= 0x04; $0[3] = 25; $0 += [1, 1] }, 255),   // A set: 26 needed
            (.lengthExceedsPayload, patched { $0[3] = 28 }, 255),
            (.lengthExceedsPayload, Array(valid.encode()[0..<20]), 255),
            (.badAuthSection, patched { $0[1] |= 0x04; $0[3] = 28; $0 += [1, 5, 1, 0x61] }, 255),  // Auth Len past Length
            (.badAuthSection, patched { $0[1] |= 0x04; $0[3] = 26; $0 += [1, 1] }, 255),           // Auth Len < 2
            (.zeroDetectMult, patched { $0[2] = 0 }, 255),
            (.multipoint, patched { $0[1] |= 0x01 }, 255),
            (.zeroMyDiscriminator, patched { $0[4] = 0; $0[5] = 0; $0[6] = 0; $0[7] = 0 }, 255),
            (.zeroYourDiscriminatorNotDown, patched { $0[11] = 0 }, 255),                          // Init
            (.zeroYourDiscriminatorNotDown, patched { $0[11] = 0; $0[1] = 0xc0 }, 255),            // Up
            (.unknownYourDiscriminator, patched { $0[11] = 8 }, 255),
            (.authenticationMismatch, withAuth.encode(), 255),
        ]
    }

    func testEachCheckHasItsReason() {
        XCTAssertNil(check(valid.encode()))
        for (reason, bytes, ttl) in failing {
            XCTAssertEqual(check(bytes, ttl: ttl), reason, "\(reason.name)")
        }
        XCTAssertEqual(check(valid.encode(), ttl: 1), .ttlNot255)
        XCTAssertEqual(check(valid.encode(), ttl: 64), .ttlNot255)
    }

    func testYourDiscriminatorZeroIsFineFromDownOrAdminDown() {
        XCTAssertNil(check { $0.yourDiscriminator = 0; $0.state = .down })
        XCTAssertNil(check { $0.yourDiscriminator = 0; $0.state = .adminDown })
    }

    func testFirstFailingCheckWins() {
        // Bad TTL and bad version: TTL is looked at first.
        XCTAssertEqual(check(patched { $0[0] = 0x40 }, ttl: 1), .ttlNot255)
        // Detect mult 0 and M set: §6.8.6 order.
        XCTAssertEqual(check(patched { $0[2] = 0; $0[1] |= 0x01 }), .zeroDetectMult)
    }

    func testDiscardedPacketsAreCountedAndNeverActedOn() {
        var s = BFDSession(localDiscriminator: local, timers: .ms(10), now: 0)
        _ = s.tick(now: 0, random: 0)
        let before = s
        var expected = BFDDiscardCounters()
        for (i, (reason, bytes, ttl)) in failing.enumerated() {
            let actions = s.receive(bytes, ttl: ttl, now: Int64(i + 1) * 1000, random: 0)
            XCTAssertEqual(actions, [], "\(reason.name)")
            expected.count(reason)
        }
        XCTAssertEqual(s.discards, expected)
        XCTAssertEqual(s.discards.total, failing.count)
        XCTAssertEqual(s.discards[.badVersion], 2)
        XCTAssertEqual(s.discards[.localAdminDown], 0)
        XCTAssertEqual(s.state, before.state)
        XCTAssertEqual(s.remoteDiscriminator, 0)
        XCTAssertEqual(s.remoteDetectMult, 0)
        XCTAssertEqual(s.remoteMinRxInterval, 1)
        XCTAssertNil(s.lastReceivedAt)
        XCTAssertEqual(s.accepted, 0)
        XCTAssertEqual(s.nextTransmitAt, before.nextTransmitAt)
        // The valid packet is then accepted: Down + neighbour Init → Up.
        let actions = s.receive(valid.encode(), ttl: 255, now: 50_000, random: 0)
        XCTAssertEqual(s.state, .up)
        XCTAssertEqual(s.accepted, 1)
        XCTAssertTrue(actions.contains { if case .stateChanged = $0 { return true }; return false })
    }

    /// §6.8.6: in AdminDown the packet updates bfd.Remote* and is then discarded.
    func testAdminDownSessionDiscardsAfterRecordingTheNeighbour() {
        var s = BFDSession(localDiscriminator: local, timers: .ms(10), now: 0)
        _ = s.adminDown(now: 0, random: 0)
        let actions = s.receive(valid.encode(), ttl: 255, now: 1000, random: 0)
        XCTAssertEqual(actions, [])
        XCTAssertEqual(s.state, .adminDown)
        XCTAssertEqual(s.discards[.localAdminDown], 1)
        XCTAssertEqual(s.remoteDiscriminator, 9)
        XCTAssertEqual(s.remoteState, .initial)
        XCTAssertNil(s.lastReceivedAt)
        XCTAssertNil(s.detectionDeadline)
    }

    func testDemultiplexingHelper() {
        valid.encode().withUnsafeBytes { XCTAssertEqual(BFDReception.yourDiscriminator($0), local) }
        [UInt8](repeating: 0, count: 11).withUnsafeBytes { XCTAssertNil(BFDReception.yourDiscriminator($0)) }
    }
}
