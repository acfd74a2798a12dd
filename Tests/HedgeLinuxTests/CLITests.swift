import Foundation
import XCTest

/// `hedge check` and friends through the real binary (no root needed).
final class CLITests: XCTestCase {
    func run(_ args: String) -> (Int32, String) { sh("\(Lab.hedgeBin) \(args) 2>&1", check: false) }

    func testVersion() {
        let (rc, out) = run("version")
        XCTAssertEqual(rc, 0)
        XCTAssertTrue(out.hasPrefix("hedge "), out)
    }

    func testExampleConfigChecksClean() {
        for example in ["azure-er-vpn.conf", "azure-default-route.conf"] {
            let (rc, out) = run("check -c \(packageRoot)/deploy/examples/\(example)")
            XCTAssertEqual(rc, 0, out)
            XCTAssertTrue(out.contains("OK"), out)
            XCTAssertFalse(out.contains("warning"), out)
        }
    }

    func testLabConfigChecksClean() {
        let (rc, out) = run("check -c \(packageRoot)/lab/hedge-lab.conf")
        XCTAssertEqual(rc, 0, out)
    }

    func testBadConfigNamesFileLineColumnAndExitsNonZero() throws {
        let path = NSTemporaryDirectory() + "hedge-bad-\(getpid()).conf"
        try """
            router-id 192.0.2.1;
            local-as 12076;
            path er {
                priority 10;
                device er0;
                gatway 192.0.2.2;
            }
            group g { prefix 10.0.0.0/8; paths er missing; }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let (rc, out) = run("check -c \(path)")
        XCTAssertNotEqual(rc, 0, out)
        XCTAssertTrue(out.contains("\(path):2:"), "local-as 12076 is Microsoft's: \(out)")
        XCTAssertTrue(out.contains("\(path):6:5: error:"), "unknown statement, with its column: \(out)")
        XCTAssertTrue(out.contains("gateway"), "suggests the nearest keyword: \(out)")
        XCTAssertTrue(out.contains("\(path):8:"), "unknown path in a group: \(out)")
        XCTAssertTrue(out.contains("nothing applied"), out)
    }

    func testRunRefusesABadConfigAndAppliesNothing() throws {
        let path = NSTemporaryDirectory() + "hedge-bad-run-\(getpid()).conf"
        try "path x { device;\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let (rc, out) = run("run -c \(path)")
        XCTAssertNotEqual(rc, 0)
        XCTAssertTrue(out.contains("\(path):1:"), out)
    }

    func testUnknownCommandAndMissingFile() {
        XCTAssertEqual(run("frobnicate").0, 2)
        let (rc, out) = run("check -c /nonexistent/hedge.conf")
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(out.contains("No such file"), out)
    }
}
