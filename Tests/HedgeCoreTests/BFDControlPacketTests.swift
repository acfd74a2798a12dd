import XCTest
@testable import HedgeCore

/// Golden bytes written by hand from RFC 5880 §4.1's bit layout:
///   byte 0 = Vers(3) Diag(5), byte 1 = Sta(2) P F C A D M, byte 2 = Detect Mult, byte 3 = Length,
///   then My Discr, Your Discr, Desired Min TX, Required Min RX, Required Min Echo RX (32 bits each).
final class BFDControlPacketTests: XCTestCase {

    /// Down, no diag, no flags, mult 3, length 24, my discr 1, your discr 0, TX 1 s (the slow rate of
    /// §6.8.3), RX 300 ms, echo 0.
    ///   0x20 = 001 00000 (version 1, diag 0); 0x40 = 01 000000 (Down, no flags)
    let downBytes = bfdHex("""
        20 40 03 18  00 00 00 01  00 00 00 00  00 0f 42 40  00 04 93 e0  00 00 00 00
        """)
    let downPacket = BFDControlPacket(state: .down, detectMult: 3, myDiscriminator: 1, yourDiscriminator: 0,
                                      desiredMinTxInterval: 1_000_000, requiredMinRxInterval: 300_000)

    /// Up with F, mult 3, my 0x12345678, your 0x9abcdef0, TX = RX = 300 ms (Azure's edge).
    ///   0xd0 = 11 0 1 0 0 0 0 (Up, F)
    let upBytes = bfdHex("""
        20 d0 03 18  12 34 56 78  9a bc de f0  00 04 93 e0  00 04 93 e0  00 00 00 00
        """)
    let upPacket = BFDControlPacket(state: .up, final: true, detectMult: 3, myDiscriminator: 0x1234_5678,
                                    yourDiscriminator: 0x9abc_def0, desiredMinTxInterval: 300_000,
                                    requiredMinRxInterval: 300_000)

    func testDownPacketGoldenBytes() throws {
        XCTAssertEqual(downPacket.encode(), downBytes)
        XCTAssertEqual(try BFDControlPacket.decode(downBytes), downPacket)
        XCTAssertEqual(downPacket.length, 24)
    }

    func testUpPacketGoldenBytes() throws {
        XCTAssertEqual(upPacket.encode(), upBytes)
        XCTAssertEqual(try BFDControlPacket.decode(upBytes), upPacket)
    }

    func testDiagnosticAndStateBits() throws {
        // Down, diag 1 (Control Detection Time Expired), P: 0x21 = 001 00001, 0x60 = 01 1 00000.
        let p = try BFDControlPacket.decode(bfdHex("21 60 05 18 00000002 00000000 000f4240 00002710 00000000"))
        XCTAssertEqual(p.diagnostic, .controlDetectionTimeExpired)
        XCTAssertEqual(p.state, .down)
        XCTAssertTrue(p.poll); XCTAssertFalse(p.final)
        XCTAssertEqual(p.detectMult, 5)
        XCTAssertEqual(p.requiredMinRxInterval, 10_000)
        // AdminDown, diag 7: 0x27, 0x00.
        var ad = downPacket
        ad.state = .adminDown; ad.diagnostic = .administrativelyDown
        XCTAssertEqual(Array(ad.encode()[0..<2]), [0x27, 0x00])
        // Init, diag 3: 0x23, 0x80.
        var i = downPacket
        i.state = .initial; i.diagnostic = .neighborSignaledSessionDown
        XCTAssertEqual(Array(i.encode()[0..<2]), [0x23, 0x80])
        XCTAssertEqual(i.diagnostic.name, "Neighbor Signaled Session Down")
    }

    func testEachFlagHasItsOwnBit() throws {
        func flags(_ edit: (inout BFDControlPacket) -> Void) -> UInt8 {
            var p = downPacket; p.state = .adminDown; edit(&p); return p.encode()[1]
        }
        XCTAssertEqual(flags { $0.poll = true }, 0x20)
        XCTAssertEqual(flags { $0.final = true }, 0x10)
        XCTAssertEqual(flags { $0.controlPlaneIndependent = true }, 0x08)
        XCTAssertEqual(flags { $0.demand = true }, 0x02)
        XCTAssertEqual(flags { $0.multipoint = true }, 0x01)
        // Up + P C D M = 11 1 0 1 0 1 1.
        let all = try BFDControlPacket.decode(bfdHex("20 eb 03 18 00000001 00000002 00000001 00000001 00000001"))
        XCTAssertEqual(all.state, .up)
        XCTAssertTrue(all.poll && all.controlPlaneIndependent && all.demand && all.multipoint)
        XCTAssertFalse(all.final || all.authenticationPresent)
        XCTAssertEqual(all.requiredMinEchoRxInterval, 1)
        XCTAssertEqual(all.encode(), bfdHex("20 eb 03 18 00000001 00000002 00000001 00000001 00000001"))
    }

    func testReservedDiagnosticSurvivesARoundTrip() throws {
        let bytes = bfdHex("3f 40 03 18 00000001 00000000 000f4240 000493e0 00000000")   // diag 31
        let p = try BFDControlPacket.decode(bytes)
        XCTAssertEqual(p.diagnostic.rawValue, 31)
        XCTAssertEqual(p.encode(), bytes)
    }

    /// Simple Password (RFC 5880 §4.2): A set (0x44 = Down + A), Length 29 = 24 + Auth Len 5
    /// (type 1, len 5, key id 1, "ab").
    func testAuthenticationSectionIsCarriedOpaquely() throws {
        let bytes = bfdHex("20 44 03 1d 00000001 00000000 000f4240 000493e0 00000000  01 05 01 61 62")
        let p = try BFDControlPacket.decode(bytes)
        XCTAssertTrue(p.authenticationPresent)
        XCTAssertEqual(p.authentication, BFDAuthSection(type: 1, data: [1, 0x61, 0x62]))
        XCTAssertEqual(p.length, 29)
        XCTAssertEqual(p.encode(), bytes)
    }

    func testBytesPastLengthAreIgnored() throws {
        XCTAssertEqual(try BFDControlPacket.decode(downBytes + [0xde, 0xad]), downPacket)
    }

    func testStructuralErrors() {
        func reason(_ b: [UInt8]) -> BFDDiscardReason? {
            do { _ = try BFDControlPacket.decode(b); return nil } catch { return error }
        }
        XCTAssertEqual(reason([]), .lengthExceedsPayload)
        XCTAssertEqual(reason([0x20, 0x40]), .lengthExceedsPayload)
        XCTAssertEqual(reason(Array(downBytes[0..<23])), .lengthExceedsPayload)
        XCTAssertEqual(reason([0x40] + downBytes.dropFirst()), .badVersion)
    }

    func testSessionsFirstPacketIsTheGoldenDownPacket() {
        // Configured for 300 ms, yet a session that is not Up advertises 1 s (§6.8.3).
        var s = BFDSession(localDiscriminator: 1, timers: .ms(300), now: 0)
        let a = s.tick(now: 0, random: 0)
        XCTAssertEqual(a.count, 1)
        if case .send(let p)? = a.first { XCTAssertEqual(p.encode(), downBytes) } else { XCTFail("\(a)") }
    }
}
