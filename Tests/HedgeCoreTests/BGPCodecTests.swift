import XCTest
@testable import HedgeCore

/// Golden messages built by hand from the wire formats of RFC 4271 §4, RFC 4760, RFC 5492,
/// RFC 6793, RFC 2918 and RFC 4486.
final class BGPCodecTests: XCTestCase {

    static let marker = [UInt8](repeating: 0xFF, count: 16)

    func header(_ length: Int, _ type: UInt8) -> [UInt8] {
        BGPCodecTests.marker + [UInt8(length >> 8), UInt8(length & 0xFF), type]
    }

    func decode(_ b: [UInt8], _ o: CodecOptions = CodecOptions()) -> ReceivedMessage? {
        try? BGPMessage.decode(b, options: o)
    }

    func decodeError(_ b: [UInt8]) -> NotificationMessage? {
        do throws(BGPError) {
            _ = try BGPMessage.decode(b)
            return nil
        } catch {
            if case .notify(let n) = error { return n }
            return nil
        }
    }

    // MARK: ByteReader / ByteWriter

    func testReaderIsBigEndianAndShortReadsThrow() throws {
        var r = ByteReader([0x12, 0x34, 0x56, 0x78, 0x9A])
        XCTAssertEqual(try r.u16(), 0x1234)
        XCTAssertThrowsError(try r.u32())
        XCTAssertEqual(r.remaining, 3, "a failed read consumes nothing")
        XCTAssertEqual(try r.u8(), 0x56)
        XCTAssertEqual(try r.take(2), [0x78, 0x9A])
        XCTAssertThrowsError(try r.u8()) { XCTAssertEqual($0 as? BGPError, .truncated) }
        XCTAssertThrowsError(try r.take(-1))
        var w = ByteWriter()
        w.u32(0xDEADBEEF); w.u16(0x0102); w.u8(3)
        XCTAssertEqual(w.bytes, [0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3])
    }

    func testSubReaderIsFenced() throws {
        var r = ByteReader([2, 0xAA, 0xBB, 0xCC])
        let n = try r.u8()
        var s = try r.sub(Int(n))
        XCTAssertEqual(try s.u16(), 0xAABB)
        XCTAssertThrowsError(try s.u8(), "cannot read into the byte after the fence")
        XCTAssertEqual(try r.u8(), 0xCC)
    }

    // MARK: KEEPALIVE

    func testKeepaliveIs19Bytes() throws {
        let k = try BGPMessage.keepalive.encode()
        XCTAssertEqual(k, header(19, 4))
        XCTAssertEqual(k.count, 19)
        XCTAssertEqual(decode(k), .keepalive)
    }

    // MARK: OPEN

    /// AS 65001, hold 90, id 10.0.0.1; MP IPv4 unicast, MP IPv6 unicast, route refresh, 4-octet AS.
    var goldenOpen: [UInt8] {
        let caps: [UInt8] = [0x01, 0x04, 0x00, 0x01, 0x00, 0x01,
                             0x01, 0x04, 0x00, 0x02, 0x00, 0x01,
                             0x02, 0x00,
                             0x41, 0x04, 0x00, 0x00, 0xFD, 0xE9]
        let body: [UInt8] = [0x04, 0xFD, 0xE9, 0x00, 0x5A, 0x0A, 0x00, 0x00, 0x01, 0x16, 0x02, 0x14] + caps
        return header(19 + body.count, 1) + body
    }

    func testOpenGolden() throws {
        let open = OpenMessage(asNumber: 65001, holdTime: 90, bgpIdentifier: 0x0A00_0001,
                               families: [.ipv4Unicast, .ipv6Unicast])
        let bytes = try BGPMessage.open(open).encode()
        XCTAssertEqual(bytes, goldenOpen)
        XCTAssertEqual(bytes.count, 51)
        guard case .open(let d)? = decode(goldenOpen) else { return XCTFail() }
        XCTAssertEqual(d, open)
        XCTAssertEqual(d.asNumber, 65001)
        XCTAssertEqual(d.families, [.ipv4Unicast, .ipv6Unicast])
        XCTAssertTrue(d.supportsRouteRefresh)
        XCTAssertTrue(d.supportsFourOctetAS)
    }

    func testOpenFourOctetASUsesASTrans() throws {
        let open = OpenMessage(asNumber: 4_200_000_001, holdTime: 180, bgpIdentifier: 1, families: [.ipv4Unicast])
        let bytes = try BGPMessage.open(open).encode()
        XCTAssertEqual(Array(bytes[20..<22]), [0x5B, 0xA0], "My AS = AS_TRANS 23456")
        XCTAssertEqual(Array(bytes.suffix(6)), [0x41, 0x04, 0xFA, 0x56, 0xEA, 0x01])
        guard case .open(let d)? = decode(bytes) else { return XCTFail() }
        XCTAssertEqual(d.asNumber, 4_200_000_001)
        XCTAssertEqual(d.myAS, 23456)
        XCTAssertNil(d.check(expectedAS: 4_200_000_001))
    }

    func testOpenKeepsUnknownCapabilitiesAndAcceptsSeveralParameters() throws {
        // Two capability parameters (RFC 5492 allows either form), one with an unknown code 64
        // (graceful restart) and one with route refresh.
        let body: [UInt8] = [4, 0x2F, 0x2C, 0, 180, 1, 2, 3, 4, 10,
                             2, 4, 64, 2, 0x80, 0x78,
                             2, 2, 2, 0]
        guard case .open(let o)? = decode(header(19 + body.count, 1) + body) else { return XCTFail() }
        XCTAssertEqual(o.capabilities, [.unknown(code: 64, value: [0x80, 0x78]), .routeRefresh])
        XCTAssertEqual(o.asNumber, 12076)
        XCTAssertEqual(o.families, [.ipv4Unicast], "RFC 4760: no MP capability means IPv4 unicast")
        // Round trip keeps the unknown capability.
        guard case .open(let again)? = decode(try BGPMessage.open(o).encode()) else { return XCTFail() }
        XCTAssertEqual(again, o)
    }

    func testOpenErrors() {
        var v3 = goldenOpen; v3[19] = 3
        XCTAssertEqual(decodeError(v3), .open(.unsupportedVersionNumber, data: [0, 4]))
        var param = goldenOpen; param[29] = 1      // optional parameter type 1 (deprecated auth)
        XCTAssertEqual(decodeError(param), .open(.unsupportedOptionalParameter))
        var len = goldenOpen; len[28] = 0x17       // parameters length one past the message
        XCTAssertEqual(decodeError(len), .open(.unspecific))
        var cap = goldenOpen; cap[32] = 3          // multiprotocol capability with length 3
        XCTAssertEqual(decodeError(cap), .open(.unspecific))
        let short: [UInt8] = header(28, 1) + [4, 0, 1, 0, 90, 0, 0, 0, 1]
        XCTAssertEqual(decodeError(short), .header(.badMessageLength, data: [0, 28]))
    }

    func testOpenChecks() {
        let o = OpenMessage(asNumber: 12076, holdTime: 180, bgpIdentifier: 1, families: [.ipv4Unicast])
        XCTAssertNil(o.check(expectedAS: 12076))
        XCTAssertNil(o.check(expectedAS: nil))
        XCTAssertEqual(o.check(expectedAS: 65515), .open(.badPeerAS))
        var id0 = o; id0.bgpIdentifier = 0
        XCTAssertEqual(id0.check(expectedAS: 12076), .open(.badBGPIdentifier))
        var h2 = o; h2.holdTime = 2
        XCTAssertEqual(h2.check(expectedAS: 12076), .open(.unacceptableHoldTime))
        // A 4-octet peer AS without the capability cannot be right.
        let old = OpenMessage(myAS: 23456, holdTime: 90, bgpIdentifier: 1, capabilities: [])
        XCTAssertEqual(old.check(expectedAS: 4_200_000_001), .open(.badPeerAS))
    }

    func testOpenRFC9072ExtendedParameters() {
        // Non-extended length 255, type 255, 2-octet length 6, then one parameter with a 2-octet
        // length holding route refresh.
        let body: [UInt8] = [4, 0xFD, 0xE9, 0, 90, 0, 0, 0, 1, 255, 255, 0, 5,
                             2, 0, 2, 2, 0]
        guard case .open(let o)? = decode(header(19 + body.count, 1) + body) else { return XCTFail() }
        XCTAssertEqual(o.capabilities, [.routeRefresh])
    }

    // MARK: UPDATE

    /// 10.200.0.0/16, ORIGIN IGP, AS_PATH 12076 (4-octet), NEXT_HOP 192.168.1.1.
    var goldenUpdate: [UInt8] {
        let body: [UInt8] = [0x00, 0x00,                                      // withdrawn length
                             0x00, 0x14,                                      // total attribute length 20
                             0x40, 0x01, 0x01, 0x00,                          // ORIGIN IGP
                             0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0x2F, 0x2C,   // AS_SEQUENCE 12076
                             0x40, 0x03, 0x04, 0xC0, 0xA8, 0x01, 0x01,        // NEXT_HOP
                             0x10, 0x0A, 0xC8]                                // 10.200.0.0/16
        return header(19 + body.count, 2) + body
    }

    var azureUpdate: UpdateMessage {
        UpdateMessage(attributes: PathAttributes(origin: .igp, asPath: [.sequence([12076])],
                                                 nextHop: IPAddress("192.168.1.1")),
                      nlri: [IPPrefix("10.200.0.0/16")!])
    }

    func testUpdateGolden() throws {
        XCTAssertEqual(try BGPMessage.update(azureUpdate).encode(), goldenUpdate)
        XCTAssertEqual(goldenUpdate.count, 46)
        XCTAssertEqual(decode(goldenUpdate), .update(.accept(azureUpdate)))
    }

    func testUpdateTwoOctetSessionUsesASTransAndAS4Path() throws {
        var u = azureUpdate
        u.attributes.asPath = [.sequence([4_200_000_001, 12076])]
        u.attributes.as4Path = [.sequence([4_200_000_001, 12076])]
        let two = CodecOptions(fourOctetAS: false)
        let bytes = try BGPMessage.update(u).encode(options: two)
        guard case .update(.accept(let d))? = decode(bytes, two) else { return XCTFail() }
        XCTAssertEqual(d.attributes.asPath, [.sequence([23456, 12076])])
        XCTAssertEqual(d.attributes.as4Path, [.sequence([4_200_000_001, 12076])])
        XCTAssertEqual(d.attributes.asns, [4_200_000_001, 12076], "RFC 6793 §4.2.3 reconstruction")
    }

    func testAS4PathMergeKeepsLeadingTwoOctetASes() {
        // AS_PATH 100 23456 200 from an OLD speaker in front of a NEW one; AS4_PATH covers the last two.
        let a = PathAttributes(asPath: [.sequence([100, 23456, 200])], as4Path: [.sequence([4_200_000_001, 200])])
        XCTAssertEqual(a.asns, [100, 4_200_000_001, 200])
        let longer = PathAttributes(asPath: [.sequence([100])], as4Path: [.sequence([1, 2])])
        XCTAssertEqual(longer.asns, [100], "AS4_PATH longer than AS_PATH is ignored")
    }

    /// 2001:db8::/32 via 2001:db8::1 and fe80::1, ORIGIN IGP, AS_PATH 12076.
    var goldenMPReach: [UInt8] {
        let nh: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
            + [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
        let mp: [UInt8] = [0x80, 0x0E, 0x2A, 0x00, 0x02, 0x01, 0x20] + nh + [0x00, 0x20, 0x20, 0x01, 0x0D, 0xB8]
        let attrs: [UInt8] = mp + [0x40, 0x01, 0x01, 0x00, 0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0x2F, 0x2C]
        let body: [UInt8] = [0, 0, 0, UInt8(attrs.count)] + attrs
        return header(19 + body.count, 2) + body
    }

    func testMPReachIPv6Golden() throws {
        let u = UpdateMessage(attributes: PathAttributes(
            origin: .igp, asPath: [.sequence([12076])],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                 linkLocalNextHop: IPAddress("fe80::1"), nlri: [IPPrefix("2001:db8::/32")!])))
        XCTAssertEqual(try BGPMessage.update(u).encode(), goldenMPReach)
        XCTAssertEqual(goldenMPReach.count, 81)
        XCTAssertEqual(decode(goldenMPReach), .update(.accept(u)))
        XCTAssertEqual(u.announced, [IPPrefix("2001:db8::/32")!])
    }

    func testMPUnreachAndGlobalOnlyNextHopRoundTrip() throws {
        let u = UpdateMessage(attributes: PathAttributes(
            origin: .incomplete, asPath: [.sequence([12076, 65001]), ASPathSegment(.asSet, [1, 2])],
            med: 100, atomicAggregate: true, aggregator: Aggregator(asn: 12076, address: IPAddress("10.0.0.1")!),
            communities: [0x2F2C_0001, 0xFFFF_FF01],
            mpReach: MPReachNLRI(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                 nlri: [IPPrefix("2001:db8:1::/48")!, IPPrefix("::/0")!]),
            mpUnreach: MPUnreachNLRI(family: .ipv6Unicast, withdrawn: [IPPrefix("2001:db8:2::/48")!]),
            other: [RawAttribute(flags: 0xC0, type: 32, value: [0, 0, 0x2F, 0x2C, 0, 0, 0, 1, 0, 0, 0, 2])]))
        let bytes = try BGPMessage.update(u).encode()
        XCTAssertEqual(decode(bytes), .update(.accept(u)))
        XCTAssertEqual(u.allWithdrawn, [IPPrefix("2001:db8:2::/48")!])
    }

    func testWithdrawnAndLongASPathRoundTrip() throws {
        // A 300-AS sequence is split into 255 + 45 (one-octet segment count).
        let path = (1...300).map { UInt32($0) }
        let u = UpdateMessage(withdrawn: [IPPrefix("10.1.0.0/16")!, IPPrefix("0.0.0.0/0")!, IPPrefix("192.0.2.1/32")!],
                              attributes: PathAttributes(origin: .igp, asPath: [.sequence(path)],
                                                         nextHop: IPAddress("192.0.2.1")),
                              nlri: [IPPrefix("10.2.0.0/15")!, IPPrefix("10.3.4.0/23")!])
        let bytes = try BGPMessage.update(u).encode()
        guard case .update(.accept(let d))? = decode(bytes) else { return XCTFail() }
        XCTAssertEqual(d.attributes.asPath, [.sequence(Array(path[0..<255])), .sequence(Array(path[255...]))])
        XCTAssertEqual(d.attributes.asns, path)
        XCTAssertEqual(d.withdrawn, u.withdrawn)
        XCTAssertEqual(d.nlri, u.nlri)
        // More than 255 bytes of attribute value → Extended Length set on AS_PATH.
        XCTAssertEqual(bytes[19 + 2 + 9 + 2 + 4], 0x50)   // header, withdrawn (2 + 9), attr length, ORIGIN
    }

    func testEndOfRIB() throws {
        XCTAssertEqual(UpdateMessage().endOfRIB, .ipv4Unicast)
        let v6 = UpdateMessage(attributes: PathAttributes(mpUnreach: MPUnreachNLRI(family: .ipv6Unicast, withdrawn: [])))
        XCTAssertEqual(v6.endOfRIB, .ipv6Unicast)
        XCTAssertEqual(try BGPMessage.update(UpdateMessage()).encode(), header(23, 2) + [0, 0, 0, 0])
        XCTAssertNil(azureUpdate.endOfRIB)
    }

    func testTooLongUpdateThrows() {
        let many = (0..<1200).map { IPPrefix(address: .v4(UInt32($0) << 8 | 0x0A00_0000), length: 24)! }
        let u = UpdateMessage(attributes: azureUpdate.attributes, nlri: many)
        XCTAssertThrowsError(try BGPMessage.update(u).encode()) {
            guard case .tooLong = $0 as? BGPError else { return XCTFail("\($0)") }
        }
    }

    // MARK: NOTIFICATION, ROUTE-REFRESH

    func testNotificationCeaseMaxPrefixesGolden() throws {
        let n = NotificationMessage.maximumPrefixes(.ipv4Unicast, limit: 4000)
        let golden = header(28, 3) + [0x06, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x0F, 0xA0]
        XCTAssertEqual(try BGPMessage.notification(n).encode(), golden)
        guard case .notification(let d)? = decode(golden) else { return XCTFail() }
        XCTAssertTrue(d.isPrefixLimit)
        XCTAssertEqual(d.ceaseSubcode, .maximumNumberOfPrefixesReached)
        XCTAssertEqual(d.prefixLimit?.limit, 4000)
        XCTAssertEqual(d.description, "Cease / Maximum Number of Prefixes Reached (IPv4 unicast, limit 4000)")
        // Without data (the data is optional in RFC 4486).
        let bare = header(21, 3) + [6, 1]
        guard case .notification(let b)? = decode(bare) else { return XCTFail() }
        XCTAssertTrue(b.isPrefixLimit)
        XCTAssertNil(b.prefixLimit)
    }

    func testNotificationNamesAndShutdownCommunication() throws {
        XCTAssertEqual(NotificationMessage.holdTimerExpired.description, "Hold Timer Expired")
        XCTAssertEqual(NotificationMessage.update(.malformedASPath).description, "UPDATE Message Error / Malformed AS_PATH")
        XCTAssertEqual(NotificationMessage(code: 9, subcode: 3).description, "error code 9 / subcode 3")
        let text = Array("maintenance".utf8)
        let n = NotificationMessage.cease(.administrativeShutdown, data: [UInt8(text.count)] + text)
        XCTAssertEqual(n.shutdownCommunication, "maintenance")
        XCTAssertEqual(n.description, "Cease / Administrative Shutdown: \"maintenance\"")
        XCTAssertEqual(NotificationMessage.cease(.bfdDown).description, "Cease / BFD Down")
        XCTAssertEqual(decodeError(header(20, 3) + [6]), .header(.badMessageLength, data: [0, 20]))
    }

    func testRouteRefresh() throws {
        let golden = header(23, 5) + [0x00, 0x02, 0x00, 0x01]
        let m = RouteRefreshMessage(family: .ipv6Unicast)
        XCTAssertEqual(try BGPMessage.routeRefresh(m).encode(), golden)
        XCTAssertEqual(decode(golden), .routeRefresh(m))
        XCTAssertEqual(decodeError(header(24, 5) + [0, 2, 0, 1, 0]), .header(.badMessageLength, data: [0, 24]))
    }

    // MARK: Header errors and framing

    func testHeaderErrors() {
        var marker = BGPMessage.keepaliveBytes
        marker[3] = 0
        XCTAssertEqual(decodeError(marker), .header(.connectionNotSynchronized))
        XCTAssertEqual(decodeError(header(20, 4) + [0]), .header(.badMessageLength, data: [0, 20]))
        XCTAssertEqual(decodeError(header(19, 9)), .header(.badMessageType, data: [9]))
        XCTAssertEqual(decodeError(header(18, 4)), .header(.badMessageLength, data: [0, 18]))
        XCTAssertEqual(decodeError(header(22, 2) + [0, 0, 0]), .header(.badMessageLength, data: [0, 22]))
        XCTAssertEqual(decodeError(header(28, 1) + [UInt8](repeating: 0, count: 9)),
                       .header(.badMessageLength, data: [0, 28]))
    }

    func testFramerCutsTheStreamAnywhere() throws {
        let stream = goldenOpen + BGPMessage.keepaliveBytes + goldenUpdate + goldenMPReach
        for chunk in [1, 2, 7, 19, 50, 1000] {
            var f = MessageFramer()
            var got: [[UInt8]] = []
            var i = 0
            while i < stream.count {
                f.append(stream[i..<min(i + chunk, stream.count)])
                i += chunk
                while let m = try f.next() { got.append(m) }
            }
            XCTAssertEqual(got, [goldenOpen, BGPMessage.keepaliveBytes, goldenUpdate, goldenMPReach], "chunk \(chunk)")
            XCTAssertEqual(f.buffered, 0)
        }
    }

    func testFramerRejectsBadLengthBeforeWaitingForIt() {
        var f = MessageFramer()
        f.append(header(5000, 2))
        XCTAssertThrowsError(try f.next()) {
            XCTAssertEqual($0 as? BGPError, .notify(.header(.badMessageLength, data: [0x13, 0x88])))
        }
    }

    // MARK: Never crash

    func testEveryTruncationIsATypedErrorOrAVerdict() {
        for golden in [goldenOpen, goldenUpdate, goldenMPReach, BGPMessage.keepaliveBytes,
                       header(28, 3) + [6, 1, 0, 1, 1, 0, 0, 0x0F, 0xA0]] {
            for n in 0..<golden.count {
                // Cut bytes but keep the header length: the body runs short.
                _ = try? BGPMessage.decode(Array(golden[0..<n]))
                // Cut bytes and fix the length: the inner lengths run past the end.
                var fixed = Array(golden[0..<max(n, 19)])
                fixed[16] = UInt8(fixed.count >> 8); fixed[17] = UInt8(fixed.count & 0xFF)
                _ = try? BGPMessage.decode(fixed)
            }
        }
    }

    func testGarbageBodiesNeverCrash() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        var verdicts = 0
        for i in 0..<20_000 {
            let type = UInt8(1 + i % 5)
            let n = Int(next()) % 120
            var body = (0..<n).map { _ in next() }
            if type == 2 && n >= 4 {
                // Keep the two lengths plausible so the attribute parser is reached often.
                body[0] = 0; body[1] = UInt8(min(n - 4, Int(body[1] % 8)))
                let rest = n - 4 - Int(body[1])
                body[2 + Int(body[1])] = 0; body[3 + Int(body[1])] = UInt8(max(0, min(rest, Int(next()))))
            }
            let msg = header(19 + n, type) + body
            if case .update? = try? BGPMessage.decode(msg) { verdicts += 1 }
            for o in [CodecOptions(fourOctetAS: false, external: false)] { _ = try? BGPMessage.decode(msg, options: o) }
        }
        XCTAssertGreaterThan(verdicts, 1000)
    }
}

extension BGPMessage {
    static var keepaliveBytes: [UInt8] { (try? BGPMessage.keepalive.encode()) ?? [] }
}
