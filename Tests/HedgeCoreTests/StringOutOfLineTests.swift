import XCTest
@testable import HedgeCore

/// The out-of-line String operations (Support/StringOutOfLine.swift) must compute what the standard
/// library's do. Results are checked against text built without them (`String(...)`, `append`).
final class StringOutOfLineTests: XCTestCase {
    func testInterpolationWritesWhatTheStandardLibraryWrites() {
        let p = IPPrefix("10.200.0.0/16")!
        let s = "path \("er") \(Int(-42)) \(UInt8(255)) \(UInt16(65535)) \(UInt32(4_294_967_295)) " +
            "\(UInt64.max) \(Int32.min) \(Int64.max) \(UInt(7)) \(true) \(false) \("ab".dropFirst()) \(p)"
        var want = "path er -42 255 65535 4294967295 "
        want.append(String(UInt64.max)); want.append(" "); want.append(String(Int32.min)); want.append(" ")
        want.append(String(Int64.max)); want.append(" 7 true false b "); want.append(p.description)
        XCTAssertEqual(s, want)
        XCTAssertEqual("\("")", "")
        XCTAssertEqual("é\("\u{301}")x", "é\u{301}x")
    }

    func testComparisonIsCanonicalEquivalence() {
        // Precomposed é and e + combining acute are the same String to Swift; bytes differ.
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        XCTAssertTrue(composed == decomposed)
        XCTAssertFalse(composed != decomposed)
        XCTAssertFalse(composed == "cafe")
        XCTAssertTrue(composed != "cafe")
        func kind(_ s: String) -> Int {
            switch s { case "static": return 1; case "strongswan", "caf\u{E9}": return 2; default: return 0 }
        }
        XCTAssertEqual(kind("static"), 1)
        XCTAssertEqual(kind(decomposed), 2)
        XCTAssertEqual(kind("Static"), 0)
    }

    func testAppend() {
        var s = "a"
        s += "b"; s += ""; s += "\u{301}"
        XCTAssertEqual(s, "ab\u{301}")
        XCTAssertEqual(s.unicodeScalars.count, 3)
    }
}
