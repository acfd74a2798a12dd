import XCTest
@testable import HedgeCore

/// What real MSEE stand-ins sent hedge: the peer's side of the sessions of MSEEInteropTests, cut
/// out of packet captures. Setup (lab/msee.sh, no MD5; the MD5 sessions carried the same octets):
/// the peer is AS 12076, router id 192.168.10.2, announcing 10.200.0.0/16 with default timers;
/// hedge's BGPRunner is AS 65010 at 192.168.10.1, hold time 30, IPv4 unicast only, announcing
/// 172.16.0.0/24. Peers are Debian 12's packages: FRR 8.4.4 (bgpd, `frr defaults traditional`,
/// host name "hmi-edge" from the namespace), BIRD 2.0.12, GoBGP 3.10.0 (host name "vm").
///
/// Captured with `MSEE_PCAP_DIR=DIR swift test --filter MSEEInteropTests`, which runs
/// `ip netns exec hmi-edge tcpdump -i onprem0 --immediate-mode -U -s 0 -w DIR/<test>.pcap 'tcp port 179'`
/// for each test; the three plain sessions are Golden/msee-{frr,bird,gobgp}.pcap. The messages are
/// the TCP payload from 192.168.10.2:179, reassembled in sequence order.
/// Each NOTIFICATION is the peer's answer to `msee_stop` (SIGTERM).
final class BGPPeerGoldenTests: XCTestCase {

    // MARK: FRR 8.4.4

    static let frrOpen: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x53, 0x01,                   // length 83, OPEN
        0x04, 0x2F, 0x2C, 0x00, 0xB4,       // version 4, AS 12076, hold time 180
        0xC0, 0xA8, 0x0A, 0x02,             // BGP identifier 192.168.10.2
        0x36,                               // 54 octets of parameters: one capability in each
        0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01,       // multiprotocol IPv4 unicast
        0x02, 0x02, 0x80, 0x00,                               // route refresh, pre-standard (128)
        0x02, 0x02, 0x02, 0x00,                               // route refresh
        0x02, 0x02, 0x46, 0x00,                               // enhanced route refresh (70, RFC 7313)
        0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0x2F, 0x2C,       // 4-octet AS 12076
        0x02, 0x02, 0x06, 0x00,                               // extended message (6, RFC 8654)
        0x02, 0x06, 0x45, 0x04, 0x00, 0x01, 0x01, 0x01,       // ADD-PATH (69, RFC 7911): IPv4 unicast, receive
        0x02, 0x0C, 0x49, 0x0A, 0x08,                         // FQDN (73): host name of 8 octets,
        0x68, 0x6D, 0x69, 0x2D, 0x65, 0x64, 0x67, 0x65, 0x00, // "hmi-edge", no domain
    ]

    /// 10.200.0.0/16: FRR sets the extended-length flag on AS_PATH and sends MED 0 to an eBGP peer.
    static let frrUpdate: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x36, 0x02,                   // length 54, UPDATE
        0x00, 0x00,                         // no withdrawn routes
        0x00, 0x1C,                         // 28 octets of path attributes
        0x40, 0x01, 0x01, 0x00,             // ORIGIN IGP
        0x50, 0x02, 0x00, 0x06, 0x02, 0x01, 0x00, 0x00, 0x2F, 0x2C, // AS_PATH (extended length) SEQUENCE [12076]
        0x40, 0x03, 0x04, 0xC0, 0xA8, 0x0A, 0x02,                   // NEXT_HOP 192.168.10.2
        0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x00,                   // MULTI_EXIT_DISC 0
        0x10, 0x0A, 0xC8,                   // NLRI 10.200.0.0/16
    ]

    /// FRR's next UPDATE: hedge's own 172.16.0.0/24 sent back to it, with hedge's AS in the path
    /// (BIRD and GoBGP do not send a route back to the peer it came from).
    static let frrReflectedUpdate: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x34, 0x02,                   // length 52, UPDATE
        0x00, 0x00,                         // no withdrawn routes
        0x00, 0x19,                         // 25 octets of path attributes
        0x40, 0x01, 0x01, 0x00,             // ORIGIN IGP
        0x50, 0x02, 0x00, 0x0A, 0x02, 0x02, 0x00, 0x00, 0x2F, 0x2C, 0x00, 0x00, 0xFD, 0xF2, // AS_PATH SEQUENCE [12076, 65010]
        0x40, 0x03, 0x04, 0xC0, 0xA8, 0x0A, 0x02,                   // NEXT_HOP 192.168.10.2
        0x18, 0xAC, 0x10, 0x00,             // NLRI 172.16.0.0/24
    ]

    /// On SIGTERM FRR sends two: Peer De-configured, then Administrative Shutdown (both without data).
    static let frrCeasePeerDeconfigured: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x15, 0x03,                   // length 21, NOTIFICATION
        0x06, 0x03,                         // Cease / Peer De-configured
    ]
    static let frrCeaseAdministrativeShutdown: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x15, 0x03,                   // length 21, NOTIFICATION
        0x06, 0x02,                         // Cease / Administrative Shutdown, no shutdown communication
    ]

    // MARK: BIRD 2.0.12

    static let birdOpen: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x2F, 0x01,                   // length 47, OPEN
        0x04, 0x2F, 0x2C, 0x00, 0xF0,       // version 4, AS 12076, hold time 240
        0xC0, 0xA8, 0x0A, 0x02,             // BGP identifier 192.168.10.2
        0x12, 0x02, 0x10,                   // 18 octets of parameters: capabilities, 16 octets
        0x01, 0x04, 0x00, 0x01, 0x00, 0x01, // multiprotocol IPv4 unicast
        0x02, 0x00,                         // route refresh
        0x41, 0x04, 0x00, 0x00, 0x2F, 0x2C, // 4-octet AS 12076
        0x46, 0x00,                         // enhanced route refresh (70)
    ]

    /// 10.200.0.0/16 from `protocol static`; GoBGP sent the very same octets.
    static let birdUpdate: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x2E, 0x02,                   // length 46, UPDATE
        0x00, 0x00,                         // no withdrawn routes
        0x00, 0x14,                         // 20 octets of path attributes
        0x40, 0x01, 0x01, 0x00,             // ORIGIN IGP
        0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0x2F, 0x2C, // AS_PATH SEQUENCE [12076]
        0x40, 0x03, 0x04, 0xC0, 0xA8, 0x0A, 0x02,             // NEXT_HOP 192.168.10.2
        0x10, 0x0A, 0xC8,                   // NLRI 10.200.0.0/16
    ]

    static let birdCeaseAdministrativeShutdown: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x15, 0x03,                   // length 21, NOTIFICATION
        0x06, 0x02,                         // Cease / Administrative Shutdown, no shutdown communication
    ]

    // MARK: GoBGP 3.10.0 (its IPv4 + IPv6 OPEN is BGPTransportTests.goBGPOpen)

    static let goBGPOpen: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x3B, 0x01,                   // length 59, OPEN
        0x04, 0x2F, 0x2C, 0x00, 0x5A,       // version 4, AS 12076, hold time 90
        0xC0, 0xA8, 0x0A, 0x02,             // BGP identifier 192.168.10.2
        0x1E, 0x02, 0x1C,                   // 30 octets of parameters: capabilities, 28 octets
        0x02, 0x00,                         // route refresh
        0x49, 0x04, 0x02, 0x76, 0x6D, 0x00, // FQDN (73): host name "vm", no domain
        0x01, 0x04, 0x00, 0x01, 0x00, 0x01, // multiprotocol IPv4 unicast
        0x41, 0x04, 0x00, 0x00, 0x2F, 0x2C, // 4-octet AS 12076
        0x05, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x02, // extended next hop (5): IPv4 unicast over IPv6
    ]

    /// `gobgp global rib add 10.200.0.0/16 origin igp -a ipv4`: the same octets as BIRD's.
    static let goBGPUpdate: [UInt8] = birdUpdate

    static let goBGPCeasePeerDeconfigured: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x15, 0x03,                   // length 21, NOTIFICATION
        0x06, 0x03,                         // Cease / Peer De-configured
    ]

    /// All three sent the same octets.
    static let keepalive: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x13, 0x04,                   // length 19, KEEPALIVE
    ]

    static let msee = IPAddress("192.168.10.2")!
    static let vnet = IPPrefix("10.200.0.0/16")!

    // MARK: Helpers

    func open(_ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> OpenMessage {
        guard case .open(let m) = try BGPMessage.decode(b) else {
            XCTFail("not an OPEN", file: file, line: line)
            throw BGPError.truncated
        }
        XCTAssertEqual(m.version, 4, file: file, line: line)
        XCTAssertEqual(m.myAS, 12076, file: file, line: line)
        XCTAssertEqual(m.asNumber, 12076, file: file, line: line)
        XCTAssertEqual(IPAddress.v4(m.bgpIdentifier), BGPPeerGoldenTests.msee, file: file, line: line)
        XCTAssertTrue(m.supportsFourOctetAS, file: file, line: line)
        XCTAssertTrue(m.supportsRouteRefresh, file: file, line: line)
        XCTAssertEqual(m.families, [.ipv4Unicast], file: file, line: line)
        XCTAssertNil(m.check(expectedAS: 12076), file: file, line: line)
        // What hedge encodes from it reads back the same (the octets may differ: hedge puts every
        // capability into one parameter).
        XCTAssertEqual(try BGPMessage.decode(BGPMessage.open(m).encode()), .open(m), file: file, line: line)
        return m
    }

    /// The route to the VNet as every peer sends it: IGP, AS_PATH [12076], next hop the MSEE.
    func vnetUpdate(_ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> UpdateMessage {
        guard case .update(.accept(let m)) = try BGPMessage.decode(b) else {
            XCTFail("not a well-formed UPDATE", file: file, line: line)
            throw BGPError.truncated
        }
        XCTAssertEqual(m.nlri, [BGPPeerGoldenTests.vnet], file: file, line: line)
        XCTAssertEqual(m.announced, [BGPPeerGoldenTests.vnet], file: file, line: line)
        XCTAssertEqual(m.withdrawn, [], file: file, line: line)
        XCTAssertEqual(m.attributes.origin, .igp, file: file, line: line)
        XCTAssertEqual(m.attributes.asPath, [.sequence([12076])], file: file, line: line)
        XCTAssertEqual(m.attributes.effectiveASPath, [.sequence([12076])], file: file, line: line)
        XCTAssertEqual(m.attributes.nextHop, BGPPeerGoldenTests.msee, file: file, line: line)
        XCTAssertNil(m.attributes.localPref, file: file, line: line)
        XCTAssertNil(m.attributes.mpReach, file: file, line: line)
        XCTAssertNil(m.endOfRIB, file: file, line: line)
        XCTAssertEqual(m.attributes.other, [], file: file, line: line)
        return m
    }

    func notification(_ b: [UInt8], _ subcode: CeaseSubcode, file: StaticString = #filePath, line: UInt = #line) throws {
        guard case .notification(let n) = try BGPMessage.decode(b) else { return XCTFail("not a NOTIFICATION", file: file, line: line) }
        XCTAssertEqual(n.errorCode, .cease, file: file, line: line)
        XCTAssertEqual(n.ceaseSubcode, subcode, file: file, line: line)
        XCTAssertEqual(n.data, [], file: file, line: line)
        XCTAssertNil(n.shutdownCommunication, file: file, line: line)
        XCTAssertFalse(n.isPrefixLimit, file: file, line: line)
        XCTAssertEqual(try BGPMessage.notification(n).encode(), b, file: file, line: line)
    }

    /// The peer's whole side of the session, fed to hedge's FSM as the runner was configured:
    /// Established with the negotiated values, the VNet route, then Idle on the Cease.
    func replay(_ stream: [UInt8], ending: CeaseSubcode, file: StaticString = #filePath, line: UInt = #line) {
        let c = SessionConfig(localAS: 65010, routerID: 0xC0A8_0A01, peerAS: 12076, mode: .passive, holdTime: 30,
                              families: [.ipv4Unicast])
        var s = Session(config: c)
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 10)
        var actions: [SessionAction] = []
        // One message per read, as they arrived in separate segments.
        var rest = stream[...]
        var negotiated: Negotiated?
        while rest.count >= 19 {
            let n = Int(rest[rest.startIndex + 16]) << 8 | Int(rest[rest.startIndex + 17])
            actions += s.received(rest.prefix(n), now: 20)
            if negotiated == nil { negotiated = s.negotiated }
            rest = rest.dropFirst(n)
        }
        let states = actions.compactMap { a -> SessionState? in if case .stateChanged(_, let to, _) = a { return to } else { return nil } }
        XCTAssertEqual(states, [.openConfirm, .established, .idle], file: file, line: line)
        XCTAssertEqual(negotiated?.peerAS, 12076, file: file, line: line)
        XCTAssertEqual(negotiated?.peerID, 0xC0A8_0A02, file: file, line: line)
        XCTAssertEqual(negotiated?.holdMs, 30_000, "min(30, the peer's)", file: file, line: line)
        XCTAssertEqual(negotiated?.keepaliveMs, 10_000, file: file, line: line)
        XCTAssertEqual(negotiated?.families, [.ipv4Unicast], file: file, line: line)
        XCTAssertEqual(negotiated?.routeRefresh, true, file: file, line: line)
        XCTAssertEqual(negotiated?.codec, CodecOptions(fourOctetAS: true, external: true), file: file, line: line)
        let routes = actions.compactMap { a -> ReceivedRoutes? in if case .announce(let r) = a { return r } else { return nil } }
        XCTAssertEqual(routes.map { $0.prefixes }, [[BGPPeerGoldenTests.vnet]], file: file, line: line)
        XCTAssertEqual(routes.first?.nextHop, BGPPeerGoldenTests.msee, file: file, line: line)
        XCTAssertTrue(actions.contains(.withdraw([BGPPeerGoldenTests.vnet])), "the session's end withdraws it", file: file, line: line)
        XCTAssertTrue(actions.contains(.stateChanged(from: .established, to: .idle,
                                                      reason: .notificationReceived(.cease(ending)))), "\(actions)", file: file, line: line)
        XCTAssertFalse(actions.contains { if case .malformedUpdate = $0 { return true } else { return false } }, file: file, line: line)
    }

    // MARK: FRR

    func testFRROpen() throws {
        let m = try open(BGPPeerGoldenTests.frrOpen)
        XCTAssertEqual(m.holdTime, 180)
        XCTAssertEqual(m.capabilities, [
            .multiprotocol(.ipv4Unicast), .unknown(code: 128, value: []), .routeRefresh, .unknown(code: 70, value: []),
            .fourOctetAS(12076), .unknown(code: 6, value: []), .unknown(code: 69, value: [0x00, 0x01, 0x01, 0x01]),
            .unknown(code: 73, value: [0x08] + Array("hmi-edge".utf8) + [0x00]),
        ])
        // Eight parameters of one capability each; hedge's encoding has one of all eight.
        XCTAssertEqual(try BGPMessage.open(m).encode().count, BGPPeerGoldenTests.frrOpen.count - 7 * 2)
    }

    func testFRRUpdate() throws {
        let m = try vnetUpdate(BGPPeerGoldenTests.frrUpdate)
        XCTAssertEqual(m.attributes.med, 0)
        // hedge writes AS_PATH without the extended-length flag: one octet shorter.
        XCTAssertEqual(try BGPMessage.update(m).encode().count, BGPPeerGoldenTests.frrUpdate.count - 1)
    }

    /// hedge's own prefix back from FRR. The codec reads it as sent; RFC 4271 §9.1.2 then wants a
    /// route whose AS_PATH holds the local AS (65010) left out of the decision process.
    func testFRRReflectedUpdate() throws {
        guard case .update(.accept(let m)) = try BGPMessage.decode(BGPPeerGoldenTests.frrReflectedUpdate) else { return XCTFail() }
        XCTAssertEqual(m.nlri, [IPPrefix("172.16.0.0/24")!])
        XCTAssertEqual(m.attributes.origin, .igp)
        XCTAssertEqual(m.attributes.asPath, [.sequence([12076, 65010])])
        XCTAssertEqual(m.attributes.nextHop, BGPPeerGoldenTests.msee)
        XCTAssertNil(m.attributes.med)
    }

    func testFRRCease() throws {
        try notification(BGPPeerGoldenTests.frrCeasePeerDeconfigured, .peerDeconfigured)
        try notification(BGPPeerGoldenTests.frrCeaseAdministrativeShutdown, .administrativeShutdown)
    }

    func testFRRSessionReplay() {
        replay(BGPPeerGoldenTests.frrOpen + BGPPeerGoldenTests.keepalive + BGPPeerGoldenTests.frrUpdate
               + BGPPeerGoldenTests.frrCeasePeerDeconfigured + BGPPeerGoldenTests.frrCeaseAdministrativeShutdown,
               ending: .peerDeconfigured)
    }

    // MARK: BIRD

    func testBIRDOpen() throws {
        let m = try open(BGPPeerGoldenTests.birdOpen)
        XCTAssertEqual(m.holdTime, 240)
        XCTAssertEqual(m.capabilities, [.multiprotocol(.ipv4Unicast), .routeRefresh, .fourOctetAS(12076),
                                        .unknown(code: 70, value: [])])
        XCTAssertEqual(try BGPMessage.open(m).encode(), BGPPeerGoldenTests.birdOpen)
    }

    func testBIRDUpdate() throws {
        let m = try vnetUpdate(BGPPeerGoldenTests.birdUpdate)
        XCTAssertNil(m.attributes.med)
        XCTAssertEqual(try BGPMessage.update(m).encode(), BGPPeerGoldenTests.birdUpdate)
    }

    func testBIRDCease() throws {
        try notification(BGPPeerGoldenTests.birdCeaseAdministrativeShutdown, .administrativeShutdown)
    }

    func testBIRDSessionReplay() {
        replay(BGPPeerGoldenTests.birdOpen + BGPPeerGoldenTests.keepalive + BGPPeerGoldenTests.birdUpdate
               + BGPPeerGoldenTests.birdCeaseAdministrativeShutdown, ending: .administrativeShutdown)
    }

    // MARK: GoBGP

    func testGoBGPOpen() throws {
        let m = try open(BGPPeerGoldenTests.goBGPOpen)
        XCTAssertEqual(m.holdTime, 90)
        XCTAssertEqual(m.capabilities, [.routeRefresh, .unknown(code: 73, value: [0x02, 0x76, 0x6D, 0x00]),
                                        .multiprotocol(.ipv4Unicast), .fourOctetAS(12076),
                                        .unknown(code: 5, value: [0x00, 0x01, 0x00, 0x01, 0x00, 0x02])])
        XCTAssertEqual(try BGPMessage.open(m).encode(), BGPPeerGoldenTests.goBGPOpen)
    }

    func testGoBGPUpdate() throws {
        let m = try vnetUpdate(BGPPeerGoldenTests.goBGPUpdate)
        XCTAssertEqual(try BGPMessage.update(m).encode(), BGPPeerGoldenTests.goBGPUpdate)
    }

    func testGoBGPCease() throws {
        try notification(BGPPeerGoldenTests.goBGPCeasePeerDeconfigured, .peerDeconfigured)
    }

    func testGoBGPSessionReplay() {
        replay(BGPPeerGoldenTests.goBGPOpen + BGPPeerGoldenTests.keepalive + BGPPeerGoldenTests.goBGPUpdate
               + BGPPeerGoldenTests.goBGPCeasePeerDeconfigured, ending: .peerDeconfigured)
    }

    func testKeepalive() throws {
        XCTAssertEqual(try BGPMessage.decode(BGPPeerGoldenTests.keepalive), .keepalive)
        XCTAssertEqual(try BGPMessage.keepalive.encode(), BGPPeerGoldenTests.keepalive)
    }
}

extension BGPPeerGoldenTests {
    /// FRR's real stream with its reflection of our prefix: the session installs only the VNet.
    func testFRRReflectedRouteIsNotInstalled() {
        let c = SessionConfig(localAS: 65010, routerID: 0xC0A8_0A01, peerAS: 12076, mode: .passive, holdTime: 30,
                              families: [.ipv4Unicast])
        var s = Session(config: c)
        _ = s.handle(.manualStart, now: 0)
        _ = s.handle(.tcpConnectionConfirmed, now: 10)
        var actions: [SessionAction] = []
        for m in [BGPPeerGoldenTests.frrOpen, BGPPeerGoldenTests.keepalive, BGPPeerGoldenTests.frrUpdate,
                  BGPPeerGoldenTests.frrReflectedUpdate] {
            actions += s.received(m[...], now: 20)
        }
        XCTAssertEqual(s.state, .established)
        let installed = actions.flatMap { a -> [IPPrefix] in if case .announce(let r) = a { return r.prefixes } else { return [] } }
        XCTAssertEqual(installed, [IPPrefix("10.200.0.0/16")!])
    }
}
