import XCTest
@testable import HedgeCore

final class EchoCodecTests: XCTestCase {

    func icmpReply(_ bytes: [UInt8], v6: Bool, identifier: UInt16) -> UInt16? {
        bytes.withUnsafeBytes { EchoCodec.icmpReply($0, v6: v6, identifier: identifier) }
    }
    func udpReply(_ bytes: [UInt8], identifier: UInt16) -> UInt16? {
        bytes.withUnsafeBytes { EchoCodec.udpReply($0, identifier: identifier) }
    }

    /// An IPv4 header of `ihl` 32-bit words, as a raw ICMP socket delivers it in front of the message.
    func ipv4Header(ihl: UInt8) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: Int(ihl) * 4)
        h[0] = 0x40 | ihl
        h[8] = 64          // TTL
        h[9] = 1           // ICMP
        return h
    }
    /// An echo reply (type 0 / 129) to identifier 0x1234, sequence 0x0102.
    func echoReply(type: UInt8) -> [UInt8] {
        [type, 0, 0xab, 0xcd, 0x12, 0x34, 0x01, 0x02] + EchoCodec.magic
    }

    // MARK: requests

    func testICMPv4RequestLayoutAndChecksum() {
        let p = EchoCodec.icmpRequest(v6: false, identifier: 0x1234, sequence: 0xbeef)
        XCTAssertEqual(p.count, 12)
        XCTAssertEqual(Array(p[0..<2]), [8, 0])
        XCTAssertEqual(Array(p[4..<8]), [0x12, 0x34, 0xbe, 0xef])
        XCTAssertEqual(Array(p[8...]), [0x68, 0x65, 0x64, 0x67])   // "hedg"
        XCTAssertNotEqual(Array(p[2..<4]), [0, 0])
        XCTAssertEqual(internetChecksum(p), 0, "a packet with its checksum in place sums to zero")
    }

    func testICMPv6RequestLeavesTheChecksumToTheKernel() {
        let p = EchoCodec.icmpRequest(v6: true, identifier: 0x1234, sequence: 7)
        XCTAssertEqual(p, [128, 0, 0, 0, 0x12, 0x34, 0, 7] + EchoCodec.magic)
    }

    // MARK: replies

    func testICMPv4ReplyAfterA20ByteIPHeader() {
        XCTAssertEqual(icmpReply(ipv4Header(ihl: 5) + echoReply(type: 0), v6: false, identifier: 0x1234), 0x0102)
    }

    func testICMPv4ReplyAfterAnIPHeaderWithOptions() {
        XCTAssertEqual(icmpReply(ipv4Header(ihl: 6) + echoReply(type: 0), v6: false, identifier: 0x1234), 0x0102)
    }

    func testICMPv6ReplyHasNoIPHeader() {
        XCTAssertEqual(icmpReply(echoReply(type: 129), v6: true, identifier: 0x1234), 0x0102)
    }

    func testRepliesToAnotherIdentifierAreIgnored() {
        XCTAssertNil(icmpReply(ipv4Header(ihl: 5) + echoReply(type: 0), v6: false, identifier: 0x1235))
        XCTAssertNil(icmpReply(echoReply(type: 129), v6: true, identifier: 0x3412))
    }

    func testOtherMessageTypesAreIgnored() {
        // Our own request looped back, destination unreachable, the other family's echo reply.
        XCTAssertNil(icmpReply(ipv4Header(ihl: 5) + echoReply(type: 8), v6: false, identifier: 0x1234))
        XCTAssertNil(icmpReply(ipv4Header(ihl: 5) + echoReply(type: 3), v6: false, identifier: 0x1234))
        XCTAssertNil(icmpReply(echoReply(type: 128), v6: true, identifier: 0x1234))
        XCTAssertNil(icmpReply(echoReply(type: 0), v6: true, identifier: 0x1234))
        var coded = echoReply(type: 0); coded[1] = 1
        XCTAssertNil(icmpReply(ipv4Header(ihl: 5) + coded, v6: false, identifier: 0x1234), "echo reply must have code 0")
    }

    func testNonIPv4HeaderIsIgnored() {
        var h = ipv4Header(ihl: 5); h[0] = 0x65
        XCTAssertNil(icmpReply(h + echoReply(type: 0), v6: false, identifier: 0x1234))
    }

    func testTruncatedPacketsAreIgnored() {
        let full4 = ipv4Header(ihl: 5) + echoReply(type: 0)
        XCTAssertNil(icmpReply(Array(full4[..<27]), v6: false, identifier: 0x1234), "ICMP header cut short")
        XCTAssertNil(icmpReply(Array(full4[..<19]), v6: false, identifier: 0x1234), "IP header cut short")
        XCTAssertNil(icmpReply([], v6: false, identifier: 0x1234))
        // IHL 6 says the ICMP message starts at 24: 20 + 8 bytes are not enough.
        XCTAssertNil(icmpReply(ipv4Header(ihl: 6) + Array(echoReply(type: 0)[..<4]), v6: false, identifier: 0x1234))
        XCTAssertNil(icmpReply(Array(echoReply(type: 129)[..<7]), v6: true, identifier: 0x1234))
        XCTAssertNil(icmpReply([], v6: true, identifier: 0x1234))
    }

    func testTheMagicIsNotRequiredInICMPReplies() {
        // The identifier alone decides; a reflector that echoes only the header still counts.
        XCTAssertEqual(icmpReply(Array(echoReply(type: 129)[..<8]), v6: true, identifier: 0x1234), 0x0102)
    }

    // MARK: UDP echo

    func testUDPEchoRoundTrip() {
        let p = EchoCodec.udpRequest(identifier: 0xa1b2, sequence: 0xfffe)
        XCTAssertEqual(p, EchoCodec.magic + [0xa1, 0xb2, 0xff, 0xfe])
        XCTAssertEqual(udpReply(p, identifier: 0xa1b2), 0xfffe)
        XCTAssertEqual(udpReply(p + [1, 2, 3], identifier: 0xa1b2), 0xfffe, "trailing bytes are fine")
    }

    func testUDPRepliesWithWrongIdentifierMagicOrLengthAreIgnored() {
        let p = EchoCodec.udpRequest(identifier: 0xa1b2, sequence: 9)
        XCTAssertNil(udpReply(p, identifier: 0xa1b3))
        var bad = p; bad[0] = 0x48
        XCTAssertNil(udpReply(bad, identifier: 0xa1b2))
        XCTAssertNil(udpReply(Array(p[..<7]), identifier: 0xa1b2))
        XCTAssertNil(udpReply([], identifier: 0xa1b2))
    }

    // MARK: RFC 1071 checksum

    func testChecksumOfTheRFC1071Example() {
        // RFC 1071 §3: the one's-complement sum of 00 01 f2 03 f4 f5 f6 f7 is dd f2.
        XCTAssertEqual(internetChecksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d)
    }

    func testChecksumPadsAnOddLengthWithAZeroByte() {
        XCTAssertEqual(internetChecksum([0x01]), ~UInt16(0x0100))
        XCTAssertEqual(internetChecksum([0x00, 0x01, 0xf2]), internetChecksum([0x00, 0x01, 0xf2, 0x00]))
    }

    func testChecksumOfNothingAndOfAllOnes() {
        XCTAssertEqual(internetChecksum([]), 0xffff)
        XCTAssertEqual(internetChecksum([0xff, 0xff, 0xff, 0xff]), 0)
    }

    func testChecksumFoldsTheCarryUntilNoneIsLeft() {
        // ffff + ffff + 0001 = 1ffff; folding once gives 10000, so it must fold again to 0001.
        XCTAssertEqual(internetChecksum([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]), ~UInt16(0x0001))
    }
}
