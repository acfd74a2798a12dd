import XCTest

/// The OpenWrt package without OpenWrt: deploy/openwrt/test-init parses the procd init script
/// with sh and busybox ash, runs it against stub procd_* and UCI functions and checks the
/// command line it registers, installs the package Makefile's files through a stub SDK, and
/// `hedge check`s the shipped configuration with the agent this test target was built with.
final class OpenWrtPackageTests: XCTestCase {
    func testInitScriptRegistersTheAgentAndTheMakefileInstallsIt() throws {
        let (status, out) = sh("cd \(packageRoot) && HEDGE_CHECK_BIN=\(Lab.hedgeBin) deploy/openwrt/test-init", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("test-init: OK"), out)
    }

    /// deploy/openwrt/test-kmods: the package's kmod-* DEPENDS and `hedge check --kernel`'s options
    /// agree through deploy/openwrt/hedge/kmods, both ways.
    func testKernelModuleDependenciesCoverWhatHedgeChecks() throws {
        let (status, out) = sh("cd \(packageRoot) && HEDGE_CHECK_BIN=\(Lab.hedgeBin) deploy/openwrt/test-kmods", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("test-kmods: OK"), out)
    }
}
