import XCTest
@testable import HedgeCore

/// SHA-256 against FIPS 180-4's examples (and the padding edges), HMAC-SHA256 against RFC 4231.
final class SHA256Tests: XCTestCase {
    func hex(_ b: [UInt8]) -> String {
        let d = Array("0123456789abcdef")
        return String(b.flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] })
    }
    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    // MARK: SHA-256 (FIPS 180-4 examples, csrc.nist.gov "SHA256.pdf", "SHA2_Additional.pdf")

    func testOneBlockMessage() {
        XCTAssertEqual(hex(SHA256.hash(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testTwoBlockMessage() {
        XCTAssertEqual(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testEmptyAnd896BitMessage() {
        XCTAssertEqual(hex(SHA256.hash([UInt8]())),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        XCTAssertEqual(hex(SHA256.hash(Array(m.utf8))),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testMillionAsInUnevenChunks() {
        var s = SHA256()
        var left = 1_000_000
        var chunk = 1
        while left > 0 {
            let n = min(chunk, left)
            s.update([UInt8](repeating: 0x61, count: n))
            left -= n
            chunk = chunk * 7 % 1000 + 1
        }
        XCTAssertEqual(hex(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths where the padding does or does not fit the last block.
    func testPaddingEdges() {
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
            128: "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
        ]
        for (n, h) in expected {
            XCTAssertEqual(hex(SHA256.hash([UInt8](repeating: 0x61, count: n))), h, "\(n) octets")
        }
    }

    // MARK: HMAC-SHA256 (RFC 4231 §4)

    func testHMACRFC4231() {
        let cases: [(String, [UInt8], [UInt8], String)] = [
            ("1", [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            ("2", Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ("3", [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            ("4", Array(1...25), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ("6", [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ("7", [UInt8](repeating: 0xaa, count: 131),
             Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (name, key, data, mac) in cases {
            XCTAssertEqual(hex(HMACSHA256.mac(key: key, message: data)), mac, "RFC 4231 test case \(name)")
            // The precomputed key state gives the same MAC every time.
            let h = HMACSHA256(key: key)
            XCTAssertEqual(hex(h.authenticate(data)), mac)
            XCTAssertEqual(hex(h.authenticate(data)), mac)
        }
    }

    /// RFC 4231 test case 5: truncation keeps the leftmost octets, as the reflect probe's 16 do.
    func testHMACTruncationRFC4231Case5() {
        let mac = HMACSHA256.mac(key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        XCTAssertEqual(hex(Array(mac.prefix(16))), "a3b6167473100ee06e0c796c2955552b")
    }

    func testConstantTimeEqual() {
        XCTAssertTrue(constantTimeEqual([UInt8](), [UInt8]()))
        XCTAssertTrue(constantTimeEqual(bytes("00ff10"), bytes("00ff10")))
        XCTAssertFalse(constantTimeEqual(bytes("00ff10"), bytes("00ff11")))
        XCTAssertFalse(constantTimeEqual(bytes("80ff10"), bytes("00ff10")))
        XCTAssertFalse(constantTimeEqual(bytes("00ff"), bytes("00ff10")))
        XCTAssertTrue(constantTimeEqual(bytes("0a0b0c")[1...], bytes("0b0c")))
    }
}
