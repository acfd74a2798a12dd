import XCTest
@testable import HedgeCore

/// BMP v3 as FRR 8.4.4 (bgpd -M bmp) exports it, captured on the wire in the BMP lab
/// (Tests/HedgeLinuxTests/BMPStationTests.swift): the CE is AS 65010 / 10.78.0.1, the MSEE stand-in
/// GoBGP 3.10 at AS 12076 / 10.78.0.2, hold time 3 s, announcing 10.200.0.0/16.
enum BMPGolden {
    // Initiation: sysDescr "FRRouting 8.4.4", sysName "ce".
    // Peer Up: per-peer header (global instance, flags 0, 10.78.0.2, AS 12076, BGP ID 10.78.0.2),
    //   local 10.78.0.1 port 34188, remote port 179, sent OPEN (AS 65010, hold 3, FRR's capabilities
    //   each in its own parameter), received OPEN (GoBGP's).
    // routeAnnounce: pre-policy UPDATE ORIGIN INCOMPLETE, AS_PATH 65010 12076 (FRR 8.4 prepends its
    //   own AS in Route Monitoring), NEXT_HOP 10.78.0.2, NLRI 10.200.0.0/16.
    // eorPost / eorPre: FRR's End-of-RIB after its initial table dump, first with the L flag.
    // peerDownCease: reason 3 with NOTIFICATION Cease / Administrative Shutdown (`gobgp neighbor disable`).
    // peerDownRemoteClose: reason 4 (gobgpd killed).
    // peerDownLocalFSM: reason 2, FSM event 0, BGP ID 0: what FRR sends for every failed connect
    //   attempt of a session that is not up (and, with BGP ID set, for a hold timer expiry).
    // routeWithdraw: pre-policy without `soft-reconfiguration inbound`: FRR reports a withdrawal.
    // peerUp2Octet / routeAnnounce2Octet: the CE with `dont-capability-negotiate` (no 4-octet AS):
    //   the UPDATE's AS_PATH is 2-octet but FRR leaves the A flag clear.
    static let initiation: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x1F, 0x04, 0x00, 0x01, 0x00, 0x0F, 0x46, 0x52, 0x52, 0x6F, 0x75, 0x74,
        0x69, 0x6E, 0x67, 0x20, 0x38, 0x2E, 0x34, 0x2E, 0x34, 0x00, 0x02, 0x00, 0x02, 0x63, 0x65,
    ]
    static let peerUp: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0xDD, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x65, 0x00, 0x07, 0xF1, 0x93,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x01,
        0x85, 0x8C, 0x00, 0xB3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x5E, 0x01, 0x04, 0xFD, 0xF2, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x01,
        0x41, 0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x80, 0x00, 0x02, 0x02, 0x02,
        0x00, 0x02, 0x02, 0x46, 0x00, 0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0xFD, 0xF2, 0x02, 0x02, 0x06,
        0x00, 0x02, 0x06, 0x45, 0x04, 0x00, 0x01, 0x01, 0x01, 0x02, 0x06, 0x49, 0x04, 0x02, 0x63, 0x65,
        0x00, 0x02, 0x04, 0x40, 0x02, 0xC0, 0x78, 0x02, 0x09, 0x47, 0x07, 0x00, 0x01, 0x01, 0x80, 0x00,
        0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0x00, 0x3B, 0x01, 0x04, 0x2F, 0x2C, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x02, 0x1E, 0x02,
        0x1C, 0x02, 0x00, 0x49, 0x04, 0x02, 0x76, 0x6D, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x41,
        0x04, 0x00, 0x00, 0x2F, 0x2C, 0x05, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02,
    ]
    static let routeAnnounce: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x65, 0x00, 0x07, 0xF1, 0x93,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x33, 0x02, 0x00, 0x00, 0x00, 0x19, 0x40, 0x01, 0x01, 0x02, 0x50, 0x02, 0x00, 0x0A, 0x02,
        0x02, 0x00, 0x00, 0xFD, 0xF2, 0x00, 0x00, 0x2F, 0x2C, 0x40, 0x03, 0x04, 0x0A, 0x4E, 0x00, 0x02,
        0x10, 0x0A, 0xC8,
    ]
    static let eorPost: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x47, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
    ]
    static let eorPre: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x17, 0x02, 0x00, 0x00, 0x00, 0x00,
    ]
    static let peerDownCease: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x46, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x73, 0x00, 0x07, 0xF1, 0x93,
        0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x00, 0x15, 0x03, 0x06, 0x02,
    ]
    static let peerDownRemoteClose: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x31, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x81, 0x00, 0x07, 0xF1, 0x93,
        0x04,
    ]
    static let peerDownLocalFSM: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x33, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x6B, 0x08, 0x6D, 0xE0, 0x00, 0x07, 0xF1, 0x93,
        0x02, 0x00, 0x00,
    ]
    static let routeWithdraw: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x4A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0x51, 0x00, 0x07, 0xF1, 0x93,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x1A, 0x02, 0x00, 0x03, 0x10, 0x0A, 0xC8, 0x00, 0x00,
    ]
    static let peerUp2Octet: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x6D, 0xE0, 0x00, 0x07, 0xF1, 0x93,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x01,
        0x8F, 0x98, 0x00, 0xB3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x1D, 0x01, 0x04, 0xFD, 0xF2, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x01,
        0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x00, 0x3B, 0x01, 0x04, 0x2F, 0x2C, 0x00, 0x03, 0x0A, 0x4E, 0x00, 0x02, 0x1E, 0x02, 0x1C,
        0x02, 0x00, 0x49, 0x04, 0x02, 0x76, 0x6D, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x41, 0x04,
        0x00, 0x00, 0x2F, 0x2C, 0x05, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02,
    ]
    static let routeAnnounce2Octet: [UInt8] = [
        0x03, 0x00, 0x00, 0x00, 0x5F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x4E, 0x00, 0x02,
        0x00, 0x00, 0x2F, 0x2C, 0x0A, 0x4E, 0x00, 0x02, 0x6B, 0x08, 0x97, 0xAD, 0x00, 0x07, 0xF1, 0x93,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x2F, 0x02, 0x00, 0x00, 0x00, 0x15, 0x40, 0x01, 0x01, 0x02, 0x50, 0x02, 0x00, 0x06, 0x02,
        0x02, 0xFD, 0xF2, 0x2F, 0x2C, 0x40, 0x03, 0x04, 0x0A, 0x4E, 0x00, 0x02, 0x10, 0x0A, 0xC8,
    ]
}

/// BMP encoding for tests only (hedge never sends BMP).
enum BMPEncode {
    static func message(_ type: UInt8, _ body: [UInt8], version: UInt8 = 3) -> [UInt8] {
        let n = body.count + 6
        return [version, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type] + body
    }

    static func peer(_ p: BMPPeerHeader) -> [UInt8] {
        var w = ByteWriter()
        w.u8(p.peerType); w.u8(p.flags)
        w.u32(UInt32(truncatingIfNeeded: p.distinguisher >> 32)); w.u32(UInt32(truncatingIfNeeded: p.distinguisher))
        w.append(address16(p.address))
        w.u32(p.asNumber); w.u32(p.bgpID); w.u32(p.seconds); w.u32(p.microseconds)
        return w.bytes
    }

    static func address16(_ a: IPAddress) -> [UInt8] {
        a.isV4 ? [UInt8](repeating: 0, count: 12) + a.bytes : a.bytes
    }

    static func tlvs(_ t: [BMPTLV]) -> [UInt8] {
        var w = ByteWriter()
        for x in t { w.u16(x.type); w.u16(UInt16(x.value.count)); w.append(x.value) }
        return w.bytes
    }

    static func peerUp(_ u: BMPPeerUp) -> [UInt8] {
        var w = ByteWriter()
        w.append(peer(u.peer)); w.append(address16(u.localAddress)); w.u16(u.localPort); w.u16(u.remotePort)
        w.append(try! BGPMessage.open(u.sentOpen).encode())
        w.append(try! BGPMessage.open(u.receivedOpen).encode())
        w.append(tlvs(u.information))
        return message(3, w.bytes)
    }

    static func peerDown(_ p: BMPPeerHeader, _ reason: BMPPeerDownReason) -> [UInt8] {
        var body = peer(p) + [reason.code]
        switch reason {
        case .localNotification(let n), .remoteNotification(let n): body += try! BGPMessage.notification(n).encode()
        case .localNoNotification(let e): body += [UInt8(e >> 8), UInt8(e & 0xFF)]
        case .other(_, let d): body += d
        case .remoteNoNotification, .peerDeconfigured: break
        }
        return message(2, body)
    }

    static func routeMonitoring(_ p: BMPPeerHeader, _ u: UpdateMessage, fourOctetAS: Bool = true) -> [UInt8] {
        message(0, peer(p) + (try! BGPMessage.update(u).encode(options: CodecOptions(fourOctetAS: fourOctetAS))))
    }

    static func initiation(sysName: String, sysDescr: String) -> [UInt8] {
        message(4, tlvs([BMPTLV(type: 1, value: Array(sysDescr.utf8)), BMPTLV(type: 2, value: Array(sysName.utf8))]))
    }

    static func termination(reason: UInt16, text: String? = nil) -> [UInt8] {
        var t = [BMPTLV(type: 1, value: [UInt8(reason >> 8), UInt8(reason & 0xFF)])]
        if let text { t.insert(BMPTLV(type: 0, value: Array(text.utf8)), at: 0) }
        return message(5, tlvs(t))
    }

    static func statistics(_ p: BMPPeerHeader, _ stats: [BMPTLV], count: Int? = nil) -> [UInt8] {
        let n = count ?? stats.count
        return message(1, peer(p) + [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + tlvs(stats))
    }

    /// A session of the lab: the MSEE at 10.78.0.2, AS 12076.
    static let msee = BMPPeerHeader(address: IPAddress("10.78.0.2")!, asNumber: 12076, bgpID: 0x0A4E_0002)

    static func mseeUp(hold: UInt16 = 3, fourOctet: Bool = true) -> [UInt8] {
        let sent = OpenMessage(asNumber: 65010, holdTime: hold, bgpIdentifier: 0x0A4E_0001, families: [.ipv4Unicast])
        var recv = OpenMessage(asNumber: 12076, holdTime: hold, bgpIdentifier: 0x0A4E_0002, families: [.ipv4Unicast])
        if !fourOctet { recv.capabilities.removeAll { if case .fourOctetAS = $0 { return true } else { return false } } }
        return peerUp(BMPPeerUp(peer: msee, localAddress: IPAddress("10.78.0.1")!, localPort: 40000, remotePort: 179,
                                sentOpen: sent, receivedOpen: recv))
    }

    static func announce(_ prefixes: [String], peer p: BMPPeerHeader = msee) -> [UInt8] {
        let a = PathAttributes(origin: .igp, asPath: [.sequence([12076])], nextHop: IPAddress("10.78.0.2")!)
        return routeMonitoring(p, UpdateMessage(attributes: a, nlri: prefixes.map { IPPrefix($0)! }))
    }

    static func withdraw(_ prefixes: [String], peer p: BMPPeerHeader = msee) -> [UInt8] {
        routeMonitoring(p, UpdateMessage(withdrawn: prefixes.map { IPPrefix($0)! }))
    }
}

final class BMPCodecTests: XCTestCase {
    func decode(_ b: [UInt8], _ widths: HashMap<BMPPeerKey, Bool> = [:]) -> BMPMessage? {
        try? BMPMessage.decode(b, fourOctetAS: widths)
    }

    func decodeError(_ b: [UInt8]) -> BMPError? {
        do throws(BMPError) {
            _ = try BMPMessage.decode(b)
            return nil
        } catch {
            return error
        }
    }

    let msee = IPAddress("10.78.0.2")!

    // MARK: FRR 8.4.4's messages

    func testInitiationFromFRR() throws {
        guard case .initiation(let i)? = decode(BMPGolden.initiation) else { return XCTFail("not an Initiation") }
        XCTAssertEqual(i.sysDescr, "FRRouting 8.4.4")
        XCTAssertEqual(i.sysName, "ce")
        XCTAssertEqual(i.strings, [])
    }

    func testPeerUpFromFRR() throws {
        guard case .peerUp(let u)? = decode(BMPGolden.peerUp) else { return XCTFail("not a Peer Up") }
        XCTAssertEqual(u.peer.peerType, BMPPeerHeader.globalInstance)
        XCTAssertEqual(u.peer.flags, 0)
        XCTAssertFalse(u.peer.isV6)
        XCTAssertEqual(u.peer.address, msee)
        XCTAssertEqual(u.peer.asNumber, 12076)
        XCTAssertEqual(u.peer.bgpID, 0x0A4E_0002)
        XCTAssertEqual(u.localAddress, IPAddress("10.78.0.1"))
        XCTAssertEqual(u.localPort, 0x858C)
        XCTAssertEqual(u.remotePort, 179)
        XCTAssertEqual(u.sentOpen.asNumber, 65010)
        XCTAssertEqual(u.sentOpen.holdTime, 3)
        XCTAssertEqual(u.sentOpen.bgpIdentifier, 0x0A4E_0001)
        XCTAssertEqual(u.receivedOpen.asNumber, 12076)
        XCTAssertEqual(u.receivedOpen.bgpIdentifier, 0x0A4E_0002)
        XCTAssertTrue(u.fourOctetAS)
        XCTAssertEqual(u.holdTime, 3)
        XCTAssertTrue(u.receivedOpen.families.contains(.ipv4Unicast))
        XCTAssertEqual(u.information, [])
    }

    func testRouteMonitoringFromFRR() throws {
        guard case .routeMonitoring(let rm)? = decode(BMPGolden.routeAnnounce) else { return XCTFail("not Route Monitoring") }
        XCTAssertFalse(rm.peer.isPostPolicy)
        XCTAssertEqual(rm.peer.address, msee)
        guard case .accept(let u) = rm.update else { return XCTFail("verdict \(rm.update)") }
        XCTAssertEqual(u.nlri, [IPPrefix("10.200.0.0/16")!])
        XCTAssertEqual(u.attributes.asPath, [.sequence([65010, 12076])])
        XCTAssertEqual(u.attributes.nextHop, msee)
        XCTAssertEqual(u.attributes.origin, .incomplete)
        XCTAssertNil(u.endOfRIB)

        guard case .routeMonitoring(let w)? = decode(BMPGolden.routeWithdraw) else { return XCTFail("not Route Monitoring") }
        XCTAssertEqual(w.update.message?.withdrawn, [IPPrefix("10.200.0.0/16")!])
        XCTAssertEqual(w.update.message?.announced, [])
    }

    func testEndOfRIBFromFRR() throws {
        guard case .routeMonitoring(let post)? = decode(BMPGolden.eorPost),
              case .routeMonitoring(let pre)? = decode(BMPGolden.eorPre) else { return XCTFail("not Route Monitoring") }
        XCTAssertTrue(post.peer.isPostPolicy)
        XCTAssertFalse(pre.peer.isPostPolicy)
        XCTAssertEqual(post.update.message?.endOfRIB, .ipv4Unicast)
        XCTAssertEqual(pre.update.message?.endOfRIB, .ipv4Unicast)
        XCTAssertEqual(pre.peer.seconds, 0, "FRR stamps its End-of-RIB with zero")
    }

    func testPeerDownFromFRR() throws {
        guard case .peerDown(let cease)? = decode(BMPGolden.peerDownCease) else { return XCTFail("not a Peer Down") }
        XCTAssertEqual(cease.peer.address, msee)
        XCTAssertEqual(cease.reason, .remoteNotification(.cease(.administrativeShutdown)))
        XCTAssertEqual(cease.reason.code, 3)
        XCTAssertEqual(cease.reason.description,
                       "remote system closed the session with NOTIFICATION Cease / Administrative Shutdown (BMP reason 3)")

        guard case .peerDown(let closed)? = decode(BMPGolden.peerDownRemoteClose) else { return XCTFail("not a Peer Down") }
        XCTAssertEqual(closed.reason, .remoteNoNotification)
        XCTAssertEqual(closed.peer.bgpID, 0x0A4E_0002)
        XCTAssertNil(closed.reason.notification)
        XCTAssertEqual(closed.reason.description, "remote system closed the session without NOTIFICATION (BMP reason 4)")

        guard case .peerDown(let fsm)? = decode(BMPGolden.peerDownLocalFSM) else { return XCTFail("not a Peer Down") }
        XCTAssertEqual(fsm.reason, .localNoNotification(fsmEvent: 0))
        XCTAssertEqual(fsm.peer.bgpID, 0, "a session that never came up")
        XCTAssertEqual(fsm.reason.description, "local system closed the session without NOTIFICATION (BMP reason 2)")
    }

    /// FRR 8.4 leaves the A flag clear for a 2-octet session: the width comes from the Peer Up's OPENs.
    func testTwoOctetSessionWidthComesFromPeerUp() throws {
        guard case .peerUp(let u)? = decode(BMPGolden.peerUp2Octet) else { return XCTFail("not a Peer Up") }
        XCTAssertFalse(u.fourOctetAS, "the CE sent no capabilities")
        XCTAssertEqual(u.sentOpen.capabilities, [])
        guard case .routeMonitoring(let alone)? = decode(BMPGolden.routeAnnounce2Octet) else { return XCTFail("not Route Monitoring") }
        XCTAssertFalse(alone.peer.isTwoOctetAS)
        XCTAssertTrue(alone.fourOctetAS)
        XCTAssertNotEqual(alone.update.message?.attributes.asPath, [.sequence([65010, 12076])],
                          "read as 4-octet, the AS_PATH is malformed")

        var feed = BMPFeed()
        feed.append(BMPGolden.peerUp2Octet + BMPGolden.routeAnnounce2Octet)
        _ = try feed.next()
        guard case .routeMonitoring(let rm)? = try feed.next() else { return XCTFail("not Route Monitoring") }
        XCTAssertFalse(rm.fourOctetAS)
        guard case .accept(let m) = rm.update else { return XCTFail("verdict \(rm.update)") }
        XCTAssertEqual(m.attributes.asPath, [.sequence([65010, 12076])])
        XCTAssertEqual(m.nlri, [IPPrefix("10.200.0.0/16")!])
        XCTAssertEqual(feed.fourOctetAS[u.peer.key], false)
    }

    func testAFlagSelectsTwoOctetAS() throws {
        var p = BMPEncode.msee
        p.flags = BMPPeerHeader.flagA
        let a = PathAttributes(origin: .igp, asPath: [.sequence([12076])], nextHop: msee)
        let b = BMPEncode.routeMonitoring(p, UpdateMessage(attributes: a, nlri: [IPPrefix("10.200.0.0/16")!]), fourOctetAS: false)
        guard case .routeMonitoring(let rm)? = decode(b) else { return XCTFail("not Route Monitoring") }
        XCTAssertTrue(rm.peer.isTwoOctetAS)
        XCTAssertEqual(rm.update, .accept(UpdateMessage(attributes: a, nlri: [IPPrefix("10.200.0.0/16")!])))
    }

    // MARK: Built messages

    func testTerminationStatisticsMirroringAndUnknown() throws {
        guard case .termination(let t)? = decode(BMPEncode.termination(reason: 0, text: "maintenance")) else { return XCTFail() }
        XCTAssertEqual(t.reason, 0)
        XCTAssertEqual(t.description, "session administratively closed: maintenance")
        guard case .termination(let t2)? = decode(BMPEncode.message(5, [])) else { return XCTFail() }
        XCTAssertEqual(t2.description, "no reason given")

        let stats = BMPEncode.statistics(BMPEncode.msee, [BMPTLV(type: 7, value: [0, 0, 0, 0, 0, 0, 0x01, 0x02]),
                                                          BMPTLV(type: 0, value: [0, 0, 0, 3])])
        guard case .statisticsReport(let s)? = decode(stats) else { return XCTFail() }
        XCTAssertEqual(s.statistics.count, 2)
        XCTAssertEqual(s.value(7), 0x102)
        XCTAssertEqual(s.value(0), 3)
        XCTAssertNil(s.value(9))
        XCTAssertEqual(decodeError(BMPEncode.statistics(BMPEncode.msee, [BMPTLV(type: 0, value: [0, 0, 0, 3])], count: 2)),
                       .malformed("Statistics Report: count 2, 1 statistics"))

        let mirror = BMPEncode.message(6, BMPEncode.peer(BMPEncode.msee) + [0, 1, 0, 2, 0, 0])
        XCTAssertEqual(decode(mirror), .routeMirroring(BMPEncode.msee))
        XCTAssertEqual(decode(BMPEncode.message(9, [1, 2, 3])), .unknown(type: 9))
    }

    func testIPv6PeerAndRDInstance() throws {
        let p = BMPPeerHeader(peerType: BMPPeerHeader.rdInstance, flags: BMPPeerHeader.flagV | BMPPeerHeader.flagL,
                              distinguisher: 0x0001_0000_2F2C_0001, address: IPAddress("fd78::2")!, asNumber: 12076,
                              bgpID: 0x0A4E_0002, seconds: 1_700_000_000, microseconds: 5)
        let up = BMPPeerUp(peer: p, localAddress: IPAddress("fd78::1")!, localPort: 1, remotePort: 179,
                           sentOpen: OpenMessage(asNumber: 65010, holdTime: 9, bgpIdentifier: 1, families: [.ipv6Unicast]),
                           receivedOpen: OpenMessage(asNumber: 12076, holdTime: 3, bgpIdentifier: 2, families: [.ipv6Unicast]),
                           information: [BMPTLV(type: 0, value: Array("vrf azure".utf8))])
        XCTAssertEqual(decode(BMPEncode.peerUp(up)), .peerUp(up))
        XCTAssertEqual(up.holdTime, 3)
        var a = PathAttributes(origin: .igp, asPath: [.sequence([12076])])
        a.mpReach = MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("fd78::2")!, nlri: [IPPrefix("2001:db8:200::/48")!])
        guard case .routeMonitoring(let rm)? = decode(BMPEncode.routeMonitoring(p, UpdateMessage(attributes: a))) else { return XCTFail() }
        XCTAssertEqual(rm.peer, p)
        XCTAssertTrue(rm.peer.isPostPolicy)
        XCTAssertEqual(rm.update.message?.announced, [IPPrefix("2001:db8:200::/48")!])
    }

    func testPeerDownReasons() throws {
        let p = BMPEncode.msee
        for r: BMPPeerDownReason in [.localNotification(.holdTimerExpired), .localNoNotification(fsmEvent: 9),
                                     .remoteNotification(.cease(.administrativeShutdown, data: [4] + Array("test".utf8))),
                                     .remoteNoNotification, .peerDeconfigured, .other(code: 6, data: [0, 0, 0, 0])] {
            XCTAssertEqual(decode(BMPEncode.peerDown(p, r)), .peerDown(BMPPeerDown(peer: p, reason: r)), "\(r)")
        }
        XCTAssertEqual(BMPPeerDownReason.localNotification(.holdTimerExpired).description,
                       "local system closed the session with NOTIFICATION Hold Timer Expired (BMP reason 1)")
        XCTAssertEqual(BMPPeerDownReason.localNoNotification(fsmEvent: 9).description,
                       "local system closed the session without NOTIFICATION (FSM event 9) (BMP reason 2)")
        XCTAssertEqual(BMPPeerDownReason.remoteNotification(.cease(.administrativeShutdown, data: [4] + Array("test".utf8))).description,
                       "remote system closed the session with NOTIFICATION Cease / Administrative Shutdown: \"test\" (BMP reason 3)")
        XCTAssertEqual(BMPPeerDownReason.peerDeconfigured.description, "peer de-configured (BMP reason 5)")
        XCTAssertEqual(BMPPeerDownReason.other(code: 6, data: []).description, "peer down (BMP reason 6)")
    }

    // MARK: Malformed

    func testBadVersionAndLength() throws {
        var bad = BMPGolden.initiation
        bad[0] = 1
        XCTAssertEqual(decodeError(bad), .badVersion(1))
        var f = BMPFramer()
        f.append([2])
        XCTAssertThrowsError(try f.next(), "a wrong version is seen on its first byte") { XCTAssertEqual($0 as? BMPError, .badVersion(2)) }
        f = BMPFramer()
        f.append(Array("GET / HTTP/1.1\r\n".utf8))
        XCTAssertThrowsError(try f.next()) { XCTAssertEqual($0 as? BMPError, .badVersion(0x47)) }

        f = BMPFramer()
        f.append([3, 0, 0, 0, 5, 4])
        XCTAssertThrowsError(try f.next()) { XCTAssertEqual($0 as? BMPError, .badLength(5)) }
        f = BMPFramer(maxMessageLength: 1 << 20)
        f.append([3, 0, 0x10, 0, 1])
        XCTAssertThrowsError(try f.next(), "over the cap, refused before it is buffered") { XCTAssertEqual($0 as? BMPError, .badLength((1 << 20) + 1)) }
        f = BMPFramer()
        f.append([3, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try f.next()) { XCTAssertEqual($0 as? BMPError, .badLength(0xFFFF_FFFF)) }

        // A length that disagrees with the bytes handed to the decoder.
        XCTAssertEqual(decodeError(BMPGolden.initiation + [0]), .badLength(32))
        XCTAssertEqual(decodeError(Array(BMPGolden.initiation.dropLast())), .badLength(30))
    }

    func testWrongInnerLengths() throws {
        // A Peer Down whose common header leaves no room for the per-peer header.
        XCTAssertEqual(decodeError(BMPEncode.message(2, Array(BMPEncode.peer(BMPEncode.msee).prefix(30)))), .truncated)
        // Reason 2 without its FSM event.
        XCTAssertEqual(decodeError(BMPEncode.message(2, BMPEncode.peer(BMPEncode.msee) + [2, 0])), .truncated)
        // Reason 3 whose NOTIFICATION claims more than the message holds.
        var n = try BGPMessage.notification(.cease(.administrativeReset)).encode()
        n[17] = 40
        XCTAssertEqual(decodeError(BMPEncode.message(2, BMPEncode.peer(BMPEncode.msee) + [3] + n)),
                       .malformed("Peer Down: BGP message of 40 octets overruns the BMP message"))
        // Reason 1 carrying a KEEPALIVE instead of a NOTIFICATION.
        XCTAssertEqual(decodeError(BMPEncode.message(2, BMPEncode.peer(BMPEncode.msee) + [1] + (try BGPMessage.keepalive.encode()))),
                       .malformed("Peer Down: BGP message type 4, not a NOTIFICATION"))
        // Route Monitoring carrying an OPEN, or an UPDATE with trailing bytes.
        var rm = Array(BMPGolden.routeAnnounce)
        rm[6 + 42 + 18] = 1
        XCTAssertEqual(decodeError(rm), .malformed("Route Monitoring carries BGP message type 1, not an UPDATE"))
        XCTAssertEqual(decodeError(BMPEncode.message(0, Array(BMPGolden.routeAnnounce[6...]) + [0])),
                       .malformed("Route Monitoring: 1 octets after the UPDATE"))
        // Peer Up whose received OPEN lost its marker, or whose OPEN is version 3.
        var up = BMPGolden.peerUp
        up[6 + 42 + 20 + 94] = 0
        XCTAssertEqual(decodeError(up), .malformed("Peer Up: received OPEN: BGP message without its marker"))
        up = BMPGolden.peerUp
        up[6 + 42 + 20 + 19] = 3
        if case .malformed(let why)? = decodeError(up) { XCTAssertTrue(why.hasPrefix("Peer Up: sent OPEN: OPEN Message Error"), why) }
        else { XCTFail("a version 3 OPEN is malformed") }
        // An Initiation TLV longer than the message.
        XCTAssertEqual(decodeError(BMPEncode.message(4, [0, 2, 0, 9, 0x63, 0x65])),
                       .malformed("Initiation: TLV type 2 of 9 octets overruns the message"))
    }

    /// Every golden message cut short anywhere is an error, never a trap.
    func testTruncatedAnywhere() throws {
        for m in [BMPGolden.initiation, BMPGolden.peerUp, BMPGolden.routeAnnounce, BMPGolden.eorPre, BMPGolden.peerDownCease,
                  BMPGolden.peerDownLocalFSM, BMPGolden.peerUp2Octet] {
            for cut in 0..<m.count {
                // The common header re-stamped with the shorter length: the inner fields run out.
                var b = Array(m.prefix(cut))
                if b.count >= 6 {
                    b[1] = 0; b[2] = 0; b[3] = UInt8(cut >> 8); b[4] = UInt8(cut & 0xFF)
                }
                let r = try? BMPMessage.decode(b)
                if cut < m.count, m[5] != 4 || cut < 6 {
                    XCTAssertNil(r, "message type \(m[5]) cut at \(cut) decoded")
                }
            }
        }
    }

    /// Mutated FRR bytes: whatever comes out, nothing traps.
    func testMutationsNeverTrap() throws {
        var rng = SystemRandomNumberGenerator()
        let stream = BMPGolden.initiation + BMPGolden.peerUp + BMPGolden.routeAnnounce + BMPGolden.eorPost
            + BMPGolden.peerDownCease + BMPGolden.peerUp2Octet + BMPGolden.routeAnnounce2Octet
        var decoded = 0
        for _ in 0..<3000 {
            var b = stream
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            var feed = BMPFeed()
            feed.append(b)
            while let m = try? feed.next() { _ = m; decoded += 1 }
        }
        XCTAssertGreaterThan(decoded, 0)
    }

    // MARK: Framing a stream

    /// FRR's stream as one feed reads it, in pieces of every size from 1 to 97 bytes.
    func testFramerCutsAStreamInAnyChunks() throws {
        let messages = [BMPGolden.initiation, BMPGolden.peerDownLocalFSM, BMPGolden.peerUp, BMPGolden.routeAnnounce,
                        BMPGolden.eorPost, BMPGolden.eorPre, BMPGolden.peerDownCease, BMPGolden.peerDownRemoteClose]
        let stream = messages.flatMap { $0 }
        for chunk in [1, 5, 6, 7, 42, 97] {
            var f = BMPFeed()
            var got: [BMPMessage] = []
            var i = 0
            while i < stream.count {
                f.append(stream[i..<min(i + chunk, stream.count)])
                i += chunk
                while let m = try f.next() { got.append(m) }
            }
            XCTAssertEqual(got.count, messages.count, "chunks of \(chunk)")
            XCTAssertEqual(got, messages.map { try! BMPMessage.decode($0) })
            XCTAssertEqual(f.framer.buffered, 0)
            XCTAssertEqual(f.messages, messages.count)
            XCTAssertEqual(f.initiation?.sysName, "ce")
        }
    }

    func testFeedFailureIsFinal() throws {
        var f = BMPFeed()
        f.append(BMPGolden.initiation + [9] + BMPGolden.peerUp)
        XCTAssertNotNil(try f.next())
        XCTAssertThrowsError(try f.next()) { XCTAssertEqual($0 as? BMPError, .badVersion(9)) }
        f.append(BMPGolden.peerUp)
        XCTAssertThrowsError(try f.next(), "nothing is read after an error") { XCTAssertEqual($0 as? BMPError, .badVersion(9)) }
        XCTAssertEqual(f.failure, .badVersion(9))

        var u = BMPFeed()
        u.append(BMPEncode.message(200, []) + BMPGolden.initiation)
        XCTAssertEqual(try u.next(), .unknown(type: 200))
        XCTAssertNotNil(try u.next(), "an unknown type is skipped by its length")
        XCTAssertEqual(u.unknownMessages, 1)
    }

    func testPeerDownForgetsTheWidth() throws {
        var f = BMPFeed()
        f.append(BMPGolden.peerUp2Octet + BMPGolden.peerDownRemoteClose)
        _ = try f.next()
        XCTAssertEqual(f.fourOctetAS.count, 1)
        _ = try f.next()
        XCTAssertEqual(f.fourOctetAS.count, 0)
    }
}
