import XCTest
import CHedge
@testable import HedgeLinux

/// The builder zeroes its buffer as messages reach it, not up front: attribute padding (libmnl
/// leaves it as it finds it) must still come out zero, on a fresh buffer and on one reused after
/// longer messages.
final class NetlinkBuilderTests: XCTestCase {
    private func message(_ b: NetlinkBuilder, name: String) -> [UInt8] {
        b.begin(type: 16, flags: 0, seq: 1, header: [1, 2, 3, 4, 5])    // 5 bytes: 3 of padding
        b.put(1, u8: 0xFF)                                               // 3 bytes of padding
        b.put(2, string: name)
        b.nest(3) { b.put(4, u16: 0xABCD) }
        let (p, n) = b.bytes()
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    func testPaddingIsZeroOnAFreshAndAReusedBuffer() {
        // A buffer malloc hands out again still holds what the last owner wrote.
        do {
            let dirty = NetlinkBuilder()
            for i in 0 ..< 200 { _ = message(dirty, name: "a-much-longer-interface-name-\(i)") }
        }
        let b = NetlinkBuilder()
        let fresh = message(b, name: "er0")
        XCTAssertEqual(fresh.count, 16 + 8 + 8 + 8 + 12)
        XCTAssertEqual(Array(fresh[16 + 5 ..< 16 + 8]), [0, 0, 0], "fixed header padding")
        XCTAssertEqual(Array(fresh[24 + 5 ..< 24 + 8]), [0, 0, 0], "u8 attribute padding")

        // Longer messages leave non-zero bytes further on; reset must clear them for the next batch.
        b.reset()
        for i in 0 ..< 200 { _ = message(b, name: "a-much-longer-interface-name-\(i)") }
        b.reset()
        XCTAssertEqual(message(b, name: "er0"), fresh)
    }

    func testABatchGrowsPastWhatWasZeroed() {
        let b = NetlinkBuilder()
        var one = [UInt8]()
        for i in 0 ..< 1000 {
            b.begin(type: 16, flags: 0, seq: UInt32(i), header: [9])
            b.put(1, u8: 7)
            if i == 0 { one = Array(UnsafeRawBufferPointer(start: b.bytes().0, count: b.bytes().1)) }
        }
        let (p, n) = b.bytes()
        let all = Array(UnsafeRawBufferPointer(start: p, count: n))
        XCTAssertEqual(n, 1000 * one.count)
        for i in stride(from: 0, to: n, by: one.count) {
            var m = Array(all[i ..< i + one.count])
            m[8] = one[8]; m[9] = one[9]; m[10] = one[10]; m[11] = one[11]     // nlmsg_seq differs
            XCTAssertEqual(m, one)
        }
    }
}
