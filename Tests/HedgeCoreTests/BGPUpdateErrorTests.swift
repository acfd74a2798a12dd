import XCTest
@testable import HedgeCore

/// RFC 7606: every UPDATE error lands in one of attribute-discard, treat-as-withdraw or session
/// reset, with the NOTIFICATION of RFC 4271 §6.3 / RFC 4760 §7 in the reset case.
final class BGPUpdateErrorTests: XCTestCase {

    let origin: [UInt8] = [0x40, 1, 1, 0]
    let asPath: [UInt8] = [0x40, 2, 6, 2, 1, 0, 0, 0x2F, 0x2C]
    let nextHop: [UInt8] = [0x40, 3, 4, 192, 168, 1, 1]
    let nlri: [UInt8] = [16, 10, 200]
    var good: [UInt8] { origin + asPath + nextHop }

    func verdict(_ attrs: [UInt8], nlri: [UInt8]? = nil, withdrawn: [UInt8] = [],
                 _ o: CodecOptions = CodecOptions()) -> UpdateVerdict {
        let body: [UInt8] = [UInt8(withdrawn.count >> 8), UInt8(withdrawn.count & 0xFF)] + withdrawn
            + [UInt8(attrs.count >> 8), UInt8(attrs.count & 0xFF)] + attrs + (nlri ?? self.nlri)
        return UpdateMessage.decode(body[...], options: o)
    }

    func assertWithdraw(_ v: UpdateVerdict, _ type: AttributeType?, file: StaticString = #filePath, line: UInt = #line) {
        guard case .treatAsWithdraw(let m, let issues) = v else { return XCTFail("\(v)", file: file, line: line) }
        XCTAssertEqual(m.nlri, [IPPrefix("10.200.0.0/16")!], "the prefixes are known, to be withdrawn", file: file, line: line)
        XCTAssertEqual(issues.first?.type, type?.rawValue ?? 0, "\(issues)", file: file, line: line)
    }

    func assertDiscard(_ v: UpdateVerdict, _ type: AttributeType, file: StaticString = #filePath, line: UInt = #line) {
        guard case .attributeDiscard(let m, let issues) = v else { return XCTFail("\(v)", file: file, line: line) }
        XCTAssertEqual(m.nlri, [IPPrefix("10.200.0.0/16")!], file: file, line: line)
        XCTAssertEqual(m.attributes.origin, .igp, "the other attributes survive", file: file, line: line)
        XCTAssertEqual(issues.map { $0.type }, [type.rawValue], file: file, line: line)
    }

    func assertReset(_ v: UpdateVerdict, _ subcode: UpdateErrorSubcode, file: StaticString = #filePath, line: UInt = #line) {
        guard case .sessionReset(let n, _) = v else { return XCTFail("\(v)", file: file, line: line) }
        XCTAssertEqual(n.code, 3, "UPDATE Message Error", file: file, line: line)
        XCTAssertEqual(n.subcode, subcode.rawValue, n.description, file: file, line: line)
    }

    func testWellFormed() {
        guard case .accept(let m) = verdict(good) else { return XCTFail() }
        XCTAssertEqual(m.attributes.nextHop, IPAddress("192.168.1.1"))
    }

    // MARK: treat-as-withdraw (§7.1–§7.5, §7.8, §3, §4)

    func testOriginErrors() {
        assertWithdraw(verdict([0x40, 1, 1, 3] + asPath + nextHop), .origin)          // undefined value
        assertWithdraw(verdict([0x40, 1, 2, 0, 0] + asPath + nextHop), .origin)       // length 2
        assertWithdraw(verdict([0xC0, 1, 1, 0] + asPath + nextHop), .origin)          // optional bit on a well-known
    }

    func testASPathErrors() {
        assertWithdraw(verdict(origin + [0x40, 2, 6, 2, 2, 0, 0, 0x2F, 0x2C] + nextHop), .asPath)   // count overruns
        assertWithdraw(verdict(origin + [0x40, 2, 6, 7, 1, 0, 0, 0x2F, 0x2C] + nextHop), .asPath)   // segment type 7
        assertWithdraw(verdict(origin + [0x40, 2, 2, 2, 0] + nextHop), .asPath)                     // empty segment
        assertWithdraw(verdict(origin + [0x40, 2, 6, 3, 1, 0, 0, 0x2F, 0x2C] + nextHop), .asPath)   // confed from eBGP
        // The same confederation segment from an internal peer is fine.
        guard case .accept = verdict(origin + [0x40, 2, 6, 3, 1, 0, 0, 0x2F, 0x2C] + nextHop,
                                     CodecOptions(external: false)) else { return XCTFail() }
        // 2-octet path read as 4-octet runs short.
        assertWithdraw(verdict(origin + [0x40, 2, 4, 2, 1, 0x2F, 0x2C] + nextHop), .asPath)
    }

    func testNextHopErrors() {
        assertWithdraw(verdict(origin + asPath + [0x40, 3, 5, 192, 168, 1, 1, 0]), .nextHop)
        assertWithdraw(verdict(origin + asPath + [0x40, 3, 4, 0, 0, 0, 0]), .nextHop)         // 0.0.0.0
        assertWithdraw(verdict(origin + asPath + [0x40, 3, 4, 224, 0, 0, 1]), .nextHop)       // multicast
    }

    func testMEDAndLocalPrefAndCommunitiesLengths() {
        assertWithdraw(verdict(good + [0x80, 4, 3, 0, 0, 1]), .multiExitDisc)
        assertWithdraw(verdict(good + [0x40, 5, 3, 0, 0, 1], CodecOptions(external: false)), .localPref)
        assertWithdraw(verdict(good + [0xC0, 8, 5, 0, 0, 0, 1, 2]), .communities)
        assertWithdraw(verdict(good + [0xC0, 8, 0]), .communities)
    }

    func testMissingWellKnownAttributes() {
        assertWithdraw(verdict(asPath + nextHop), .origin)
        assertWithdraw(verdict(origin + nextHop), .asPath)
        assertWithdraw(verdict(origin + asPath), .nextHop)
        // Only routes need them: a pure withdrawal without attributes is fine.
        guard case .accept(let m) = verdict([], nlri: [], withdrawn: [16, 10, 200]) else { return XCTFail() }
        XCTAssertEqual(m.withdrawn, [IPPrefix("10.200.0.0/16")!])
    }

    func testAttributeOverrunningTheAttributeFieldWithdraws() {
        // §4: the last attribute claims more than is left; Total Path Attribute Length still finds the NLRI.
        assertWithdraw(verdict(good + [0x80, 4, 9, 0, 0, 0, 1]), nil)
        // Fewer than three octets left for an attribute header.
        assertWithdraw(verdict(good + [0x80, 4]), nil)
    }

    // MARK: attribute-discard (§7.6, §7.7, §3(g), §7.5, RFC 6793 §6)

    func testAtomicAggregateAndAggregator() {
        assertDiscard(verdict(good + [0x40, 6, 1, 0]), .atomicAggregate)
        assertDiscard(verdict(good + [0xC0, 7, 6, 0x2F, 0x2C, 10, 0, 0, 1]), .aggregator)   // 2-octet form on a 4-octet session
        assertDiscard(verdict(good + [0x40, 7, 8, 0, 0, 0x2F, 0x2C, 10, 0, 0, 1]), .aggregator)   // not optional
    }

    func testRepeatedAttributeKeepsTheFirst() {
        guard case .attributeDiscard(let m, let issues) = verdict(good + [0x80, 4, 4, 0, 0, 0, 1, 0x80, 4, 4, 0, 0, 0, 2])
        else { return XCTFail() }
        XCTAssertEqual(m.attributes.med, 1)
        XCTAssertEqual(issues.first?.why, "appears twice")
    }

    func testLocalPrefFromAnExternalPeerIsDiscarded() {
        assertDiscard(verdict(good + [0x40, 5, 4, 0, 0, 0, 150]), .localPref)
        guard case .accept(let m) = verdict(good + [0x40, 5, 4, 0, 0, 0, 150], CodecOptions(external: false))
        else { return XCTFail() }
        XCTAssertEqual(m.attributes.localPref, 150)
    }

    func testAS4PathHandling() {
        let as4: [UInt8] = [0xC0, 17, 6, 2, 1, 0, 0, 0x2F, 0x2C]
        assertDiscard(verdict(good + as4), .as4Path)                      // between 4-octet speakers
        let two = CodecOptions(fourOctetAS: false)
        let as2Path: [UInt8] = [0x40, 2, 4, 2, 1, 0x2F, 0x2C]
        guard case .accept(let m) = verdict(origin + as2Path + nextHop + as4, two) else { return XCTFail() }
        XCTAssertEqual(m.attributes.as4Path, [.sequence([12076])])
        guard case .attributeDiscard = verdict(origin + as2Path + nextHop + [0xC0, 17, 3, 2, 1, 0], two)
        else { return XCTFail() }
    }

    // MARK: session reset (§7.11, §5.3, §3(g), RFC 4271 §6.3)

    func testMalformedMPReachResets() {
        // Next hop length 5 for IPv6.
        assertReset(verdict([0x80, 14, 11, 0, 2, 1, 5, 1, 2, 3, 4, 5, 0, 0] + origin + asPath, nlri: []), .optionalAttributeError)
        // Prefix length 129.
        let nh = [UInt8](repeating: 0x20, count: 16)
        assertReset(verdict([0x80, 14, 23, 0, 2, 1, 16] + nh + [0, 129, 0x20] + origin + asPath, nlri: []), .optionalAttributeError)
        // NLRI running past the attribute.
        assertReset(verdict([0x80, 14, 23, 0, 2, 1, 16] + nh + [0, 64, 0x20] + origin + asPath, nlri: []), .optionalAttributeError)
        // Attribute too short for AFI/SAFI.
        assertReset(verdict([0x80, 14, 2, 0, 2] + origin + asPath, nlri: []), .optionalAttributeError)
    }

    func testMalformedMPUnreachResets() {
        assertReset(verdict([0x80, 15, 5, 0, 2, 1, 48, 0x20], nlri: []), .optionalAttributeError)
    }

    func testRepeatedMPReachIsMalformedAttributeList() {
        let mp: [UInt8] = [0x80, 15, 3, 0, 2, 1]
        assertReset(verdict(mp + mp, nlri: []), .malformedAttributeList)
    }

    func testUnknownFamilyIsKeptOpaque() {
        // AFI 1 SAFI 128 (VPN): not parsed, carried as an unknown attribute.
        guard case .accept(let m) = verdict([0x80, 15, 3, 0, 1, 128], nlri: []) else { return XCTFail() }
        XCTAssertEqual(m.attributes.other, [RawAttribute(flags: 0x80, type: 15, value: [0, 1, 128])])
    }

    func testStructuralErrorsReset() {
        // Withdrawn Routes Length past the message.
        assertReset(UpdateMessage.decode([0, 50, 0, 0][...], options: CodecOptions()), .malformedAttributeList)
        // Total Path Attribute Length past the message.
        assertReset(UpdateMessage.decode([0, 0, 0, 50, 0x40][...], options: CodecOptions()), .malformedAttributeList)
        // NLRI /33 and a truncated NLRI.
        assertReset(verdict(good, nlri: [33, 10, 0, 0, 0, 0]), .invalidNetworkField)
        assertReset(verdict(good, nlri: [24, 10, 0]), .invalidNetworkField)
        // Withdrawn routes malformed.
        assertReset(verdict([], nlri: [], withdrawn: [40, 1, 2, 3, 4, 5]), .invalidNetworkField)
        // Unrecognised well-known attribute.
        assertReset(verdict(good + [0x40, 99, 0]), .unrecognizedWellKnownAttribute)
    }

    func testUnknownOptionalAttributeIsKept() {
        guard case .accept(let m) = verdict(good + [0xE0, 99, 2, 7, 8]) else { return XCTFail() }
        XCTAssertEqual(m.attributes.other, [RawAttribute(flags: 0xE0, type: 99, value: [7, 8])])
    }

    func testResetOutranksWithdraw() {
        // A bad ORIGIN and a repeated MP_UNREACH: the reset wins.
        let mp: [UInt8] = [0x80, 15, 3, 0, 2, 1]
        assertReset(verdict([0x40, 1, 1, 9] + mp + mp), .malformedAttributeList)
    }

    func testIssuesDescribeThemselves() {
        let v = verdict([0x40, 1, 1, 3] + asPath + nextHop)
        XCTAssertEqual(v.issues.map { $0.description }, ["ORIGIN: undefined value"])
        XCTAssertNotNil(v.message)
    }
}
