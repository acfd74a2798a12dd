import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import HedgeCore

final class IPTests: XCTestCase {

    // MARK: IPv4

    func testV4Parse() {
        XCTAssertEqual(IPAddress("192.0.2.1"), .v4(0xC000_0201))
        XCTAssertEqual(IPAddress("0.0.0.0"), .v4(0))
        XCTAssertEqual(IPAddress("255.255.255.255"), .v4(0xFFFF_FFFF))
        XCTAssertEqual(IPAddress(Substring("x10.0.0.1").dropFirst()), .v4(0x0A00_0001))
        for bad in ["", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.04", "01.2.3.4", "1..2.3", "1.2.3.",
                    ".1.2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3.a", "1.2.3.1000", "-1.2.3.4", "1.2.3.4/32"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testV4Description() {
        XCTAssertEqual(IPAddress.v4(0xC000_0201).description, "192.0.2.1")
        XCTAssertEqual(IPAddress.v4(0).description, "0.0.0.0")
        XCTAssertEqual(IPAddress.v4(0xFFFF_FFFF).description, "255.255.255.255")
    }

    // MARK: IPv6

    func testV6Parse() {
        XCTAssertEqual(IPAddress("::"), .v6(0, 0))
        XCTAssertEqual(IPAddress("::1"), .v6(0, 1))
        XCTAssertEqual(IPAddress("1::"), .v6(0x0001_0000_0000_0000, 0))
        XCTAssertEqual(IPAddress("2001:db8::1"), .v6(0x2001_0DB8_0000_0000, 1))
        XCTAssertEqual(IPAddress("2001:DB8:0:0:0:0:0:1"), .v6(0x2001_0DB8_0000_0000, 1))
        XCTAssertEqual(IPAddress("1:2:3:4:5:6:7:8"), .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0008))
        XCTAssertEqual(IPAddress("1:2:3:4:5:6:7::"), .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0000))
        XCTAssertEqual(IPAddress("::2:3:4:5:6:7:8"), .v6(0x0000_0002_0003_0004, 0x0005_0006_0007_0008))
        XCTAssertEqual(IPAddress("::ffff:1.2.3.4"), .v6(0, 0x0000_FFFF_0102_0304))
        XCTAssertEqual(IPAddress("64:ff9b::192.0.2.33"), .v6(0x0064_FF9B_0000_0000, 0xC000_0221))
        XCTAssertEqual(IPAddress("1:2:3:4:5:6:1.2.3.4"), .v6(0x0001_0002_0003_0004, 0x0005_0006_0102_0304))
        XCTAssertEqual(IPAddress("fd00:10::2"), .v6(0xFD00_0010_0000_0000, 2))
        for bad in [":", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", "12345::", "1:2:3:4:5:6:7:8::",
                    "::1:2:3:4:5:6:7:8", "1:", ":1", "1:::2", "fe80::1%eth0", "::ffff:1.2.3", "1.2.3.4::",
                    "::1.2.3.4:5", "g::1", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:256.1.1.1", "[::1]", "::/0", " ::1"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    /// RFC 5952 §4 and §5.
    func testV6Canonical() {
        let cases: [(String, String)] = [
            ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),          // one zero group: not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),                    // the longest run
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),              // the first of equal runs
            ("2001:DB8::ABCD", "2001:db8::abcd"),                        // lower case
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("1:0:0:0:0:0:0:2", "1::2"),
            ("0:1:0:0:0:0:0:0", "0:1::"),
            ("::ffff:c000:0201", "::ffff:192.0.2.1"),                    // IPv4-mapped: dotted
            ("fd00:0010::0002", "fd00:10::2"),
        ]
        for (input, canonical) in cases {
            XCTAssertEqual(IPAddress(input)?.description, canonical, input)
            XCTAssertEqual(IPAddress(canonical)?.description, canonical, canonical)
        }
    }

    #if canImport(Glibc)
    /// Against the C library on random addresses with runs of zero groups.
    func testAgainstInetPtonNtop() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var groups = (0..<8).map { _ in UInt16.random(in: 0...0xFFFF, using: &rng) }
            for i in 0..<8 where Bool.random(using: &rng) { groups[i] = 0 }
            if Int.random(in: 0..<4, using: &rng) == 0 { groups[Int.random(in: 0..<8, using: &rng)] = 0x0001 }
            var hi: UInt64 = 0, lo: UInt64 = 0
            for k in 0..<4 { hi = hi << 16 | UInt64(groups[k]) }
            for k in 4..<8 { lo = lo << 16 | UInt64(groups[k]) }
            let a = IPAddress.v6(hi, lo)
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { p in for (i, b) in a.bytes.enumerated() { p[i] = b } }
            var buf = [CChar](repeating: 0, count: 64)
            _ = inet_ntop(AF_INET6, &raw, &buf, 64)
            let libc = String(validatingCString: buf) ?? ""
            // glibc also prints ::a.b.c.d (deprecated IPv4-compatible) dotted; RFC 5952 does not.
            if hi == 0 && lo >> 32 == 0 { continue }
            XCTAssertEqual(a.description, libc)
            XCTAssertEqual(IPAddress(libc), a, libc)
            var back = in6_addr()
            XCTAssertEqual(inet_pton(AF_INET6, a.description, &back), 1, a.description)
            XCTAssertEqual(withUnsafeBytes(of: &back) { Array($0) }, a.bytes)
        }
    }
    #endif

    // MARK: bytes

    func testBytes() {
        XCTAssertEqual(IPAddress("192.0.2.1")!.bytes, [192, 0, 2, 1])
        XCTAssertEqual(IPAddress("2001:db8::1")!.bytes, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(IPAddress(bytes: [192, 0, 2, 1]), IPAddress("192.0.2.1"))
        let v6: [UInt8] = [0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        XCTAssertEqual(IPAddress(bytes: v6), IPAddress("fd00:10::2"))
        XCTAssertEqual(IPAddress(bytes: v6[...]), IPAddress("fd00:10::2"))
        v6.withUnsafeBytes { raw in XCTAssertEqual(IPAddress(bytes: raw), IPAddress("fd00:10::2")) }
        XCTAssertNil(IPAddress(bytes: [1, 2, 3]))
        XCTAssertNil(IPAddress(bytes: [UInt8](repeating: 0, count: 8)))
        XCTAssertNil(IPAddress(bytes: []))
        for text in ["10.1.2.3", "::", "::ffff:1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] {
            let a = IPAddress(text)!
            XCTAssertEqual(IPAddress(bytes: a.bytes), a)
        }
    }

    func testProperties() {
        XCTAssertTrue(IPAddress("10.0.0.1")!.isV4)
        XCTAssertFalse(IPAddress("::1")!.isV4)
        XCTAssertTrue(IPAddress("::1")!.isV6)
        XCTAssertEqual(IPAddress("10.0.0.1")!.bitWidth, 32)
        XCTAssertEqual(IPAddress("::1")!.bitWidth, 128)
        XCTAssertTrue(IPAddress("0.0.0.0")!.isUnspecified)
        XCTAssertTrue(IPAddress("::")!.isUnspecified)
        XCTAssertTrue(IPAddress("224.0.0.5")!.isMulticast)
        XCTAssertTrue(IPAddress("ff02::1")!.isMulticast)
        XCTAssertFalse(IPAddress("10.0.0.1")!.isMulticast)
        XCTAssertEqual(IPAddress("::ffff:10.0.0.1")!.mappedV4, IPAddress("10.0.0.1"))
        XCTAssertNil(IPAddress("::10.0.0.1")!.mappedV4)
        XCTAssertTrue(IPAddress("10.0.0.1")! < IPAddress("10.0.0.2")!)
        XCTAssertTrue(IPAddress("255.255.255.255")! < IPAddress("::")!)
        XCTAssertTrue(IPAddress("::1:0:0:0:0")! < IPAddress("1::")!)
        XCTAssertTrue(IPAddress("1::1")! < IPAddress("1::2")!)
    }

    func testMasked() {
        XCTAssertEqual(IPAddress("10.1.2.3")!.masked(to: 0), IPAddress("0.0.0.0"))
        XCTAssertEqual(IPAddress("10.1.2.3")!.masked(to: 8), IPAddress("10.0.0.0"))
        XCTAssertEqual(IPAddress("10.1.2.3")!.masked(to: 31), IPAddress("10.1.2.2"))
        XCTAssertEqual(IPAddress("10.1.2.3")!.masked(to: 32), IPAddress("10.1.2.3"))
        let a = IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!
        XCTAssertEqual(a.masked(to: 0), IPAddress("::"))
        XCTAssertEqual(a.masked(to: 1), IPAddress("8000::"))
        XCTAssertEqual(a.masked(to: 63), IPAddress("ffff:ffff:ffff:fffe::"))
        XCTAssertEqual(a.masked(to: 64), IPAddress("ffff:ffff:ffff:ffff::"))
        XCTAssertEqual(a.masked(to: 65), IPAddress("ffff:ffff:ffff:ffff:8000::"))
        XCTAssertEqual(a.masked(to: 127), IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"))
        XCTAssertEqual(a.masked(to: 128), a)
    }

    // MARK: prefixes

    func testPrefixParse() {
        let p = IPPrefix("10.200.0.0/16")!
        XCTAssertEqual(p.address, IPAddress("10.200.0.0"))
        XCTAssertEqual(p.length, 16)
        XCTAssertEqual(p.description, "10.200.0.0/16")
        XCTAssertTrue(p.isV4)
        XCTAssertEqual(IPPrefix("0.0.0.0/0")?.description, "0.0.0.0/0")
        XCTAssertEqual(IPPrefix("10.0.0.1/32")?.isHost, true)
        XCTAssertEqual(IPPrefix("2001:DB8::/32")?.description, "2001:db8::/32")
        XCTAssertEqual(IPPrefix("::/0")?.description, "::/0")
        XCTAssertEqual(IPPrefix("::1/128")?.isHost, true)
        XCTAssertEqual(IPPrefix(Substring("x10.0.0.0/8").dropFirst())?.description, "10.0.0.0/8")
        for bad in ["10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/01", "10.0.0.0/-1", "10.0.0.0/8/8",
                    "10.0.0/8", "/8", "::/129", "::/1000", "10.0.0.0/ 8", "10.0.0.0/8x", ""] {
            XCTAssertNil(IPPrefix(bad), bad)
        }
    }

    func testPrefixHostBits() {
        let r = IPPrefix.parse("10.200.1.1/16")!
        XCTAssertTrue(r.hadHostBits)
        XCTAssertEqual(r.prefix, IPPrefix("10.200.0.0/16"))
        XCTAssertEqual(IPPrefix("10.200.1.1/16")?.description, "10.200.0.0/16")
        XCTAssertFalse(IPPrefix.parse("10.200.0.0/16")!.hadHostBits)
        XCTAssertTrue(IPPrefix.parse("2001:db8::1/64")!.hadHostBits)
        XCTAssertEqual(IPPrefix.parse("2001:db8::1/64")!.prefix.description, "2001:db8::/64")
        XCTAssertFalse(IPPrefix.parse("2001:db8::1/128")!.hadHostBits)
        XCTAssertNil(IPPrefix.parse("nonsense"))
    }

    func testPrefixInit() {
        XCTAssertEqual(IPPrefix(address: IPAddress("10.1.2.3")!, length: 8), IPPrefix("10.0.0.0/8"))
        XCTAssertNil(IPPrefix(address: IPAddress("10.1.2.3")!, length: 33))
        XCTAssertNotNil(IPPrefix(address: IPAddress("::1")!, length: 128))
        XCTAssertNil(IPPrefix(address: IPAddress("::1")!, length: 129))
        // Equal and hash-equal once masked.
        XCTAssertEqual(Set([IPPrefix("10.0.0.1/8")!, IPPrefix("10.0.0.0/8")!]).count, 1)
    }

    func testPrefixContains() {
        let vnet = IPPrefix("10.200.0.0/16")!
        XCTAssertTrue(vnet.contains(IPAddress("10.200.0.4")!))
        XCTAssertTrue(vnet.contains(IPAddress("10.200.255.255")!))
        XCTAssertFalse(vnet.contains(IPAddress("10.201.0.0")!))
        XCTAssertFalse(vnet.contains(IPAddress("::ffff:10.200.0.4")!))   // other family
        XCTAssertTrue(vnet.contains(IPPrefix("10.200.255.224/27")!))
        XCTAssertTrue(vnet.contains(vnet))
        XCTAssertFalse(vnet.contains(IPPrefix("10.0.0.0/8")!))
        XCTAssertFalse(vnet.contains(IPPrefix("10.201.0.0/24")!))
        XCTAssertTrue(IPPrefix("0.0.0.0/0")!.contains(IPAddress("1.2.3.4")!))
        XCTAssertFalse(IPPrefix("0.0.0.0/0")!.contains(IPAddress("::")!))
        XCTAssertTrue(IPPrefix("::/0")!.contains(IPPrefix("2001:db8::/32")!))
        XCTAssertTrue(IPPrefix("2001:db8::/32")!.contains(IPAddress("2001:db8:ffff::1")!))
        XCTAssertFalse(IPPrefix("2001:db8::/32")!.contains(IPAddress("2001:db9::1")!))
        XCTAssertTrue(IPPrefix("2001:db8::/32")!.overlaps(IPPrefix("2001:db8:1::/48")!))
        XCTAssertTrue(IPPrefix("2001:db8:1::/48")!.overlaps(IPPrefix("2001:db8::/32")!))
        XCTAssertFalse(IPPrefix("2001:db8:1::/48")!.overlaps(IPPrefix("2001:db8:2::/48")!))
        XCTAssertTrue(IPPrefix("10.0.0.0/8")! < IPPrefix("10.0.0.0/16")!)
    }
}
